import { applyDecorators, Controller, Get, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { z } from 'zod';
import type { AuthenticatedOperator } from '../auth/operator-directory';
import { CurrentOperator, OperatorGuard } from '../auth/operator.guard';
import { openApiSchema } from '../common/openapi-schema';
import { OperatorAuth } from '../common/openapi-security';
import { ZodBody } from '../common/zod-pipe';
import { CodecLinkGuard } from './codec-link.guard';
import { CodecService, type PayloadsJson } from './codec.service';

// Temporal's codec server protocol: Payloads as protobuf JSON, bytes in base64.
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
const payloadsSchema = z
  .object({
    payloads: z
      .array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }))
      .default([]),
  })
  .describe("Temporal Payloads as protobuf JSON (Temporal's codec server protocol)");
/** No body (or not JSON) is no payloads. */
const payloadsBody = z.preprocess((body) => body ?? {}, payloadsSchema);
const PayloadsBody = () => ZodBody(payloadsBody, 'Payloads');
const PayloadsResponse = (direction: string) =>
  ApiOkResponse({
    description: `the payloads, ${direction}d`,
    content: { 'application/json': { schema: openApiSchema(payloadsSchema) } },
  });
/** The signed path is the credential (CodecLinkGuard); OpenAPI has no scheme for a path, hence `security: []`. */
const SignedLink = () =>
  applyDecorators(
    ApiParam({ name: 'op', description: 'signed link: operator ID', schema: { type: 'string' } }),
    ApiParam({ name: 'exp', description: 'signed link: expiry (Unix seconds)', schema: { type: 'integer' } }),
    ApiParam({ name: 'sig', description: 'signed link: signature', schema: { type: 'string' } }),
    UseGuards(CodecLinkGuard),
  );

/**
 * Codec endpoint for the Temporal CLI and Web UI (Temporal's codec server protocol): decodes
 * and encodes payloads with the API's own payload codecs, so an operator can read an
 * incident's history in clear. Authentication: the operator's `Authorization: Bearer <apiKey>`
 * (`temporal workflow show --codec-endpoint … --codec-auth "Bearer …"`), or the signed
 * endpoint URL from GET /codec/link for the Web UI, which cannot send that header.
 * CORS for the Temporal UI's origin (temporal.uiUrl) is answered in codec-cors.ts.
 */
@Controller('codec')
export class CodecController {
  constructor(@Inject(CodecService) private readonly codec: CodecService) {}

  @Get('link')
  @ApiOperation({ summary: 'A codec endpoint URL for the Temporal Web UI (signed, 12 hours)' })
  @UseGuards(OperatorGuard)
  @OperatorAuth()
  link(@CurrentOperator() operator: AuthenticatedOperator) {
    return this.codec.link(operator);
  }

  @Post('decode')
  @ApiOperation({ summary: 'Decrypt Temporal payloads (codec server)' })
  @PayloadsResponse('decode')
  @HttpCode(200)
  @UseGuards(OperatorGuard)
  @OperatorAuth()
  decode(@PayloadsBody() body: PayloadsJson) {
    return this.codec.apply('decode', body);
  }

  @Post('encode')
  @ApiOperation({ summary: 'Encrypt Temporal payloads (codec server)' })
  @PayloadsResponse('encode')
  @HttpCode(200)
  @UseGuards(OperatorGuard)
  @OperatorAuth()
  encode(@PayloadsBody() body: PayloadsJson) {
    return this.codec.apply('encode', body);
  }

  @Post(':op/:exp/:sig/decode')
  @ApiOperation({ summary: 'Decrypt Temporal payloads (codec server)', security: [] })
  @SignedLink()
  @PayloadsResponse('decode')
  @HttpCode(200)
  decodeByLink(@PayloadsBody() body: PayloadsJson) {
    return this.codec.apply('decode', body);
  }

  @Post(':op/:exp/:sig/encode')
  @ApiOperation({ summary: 'Encrypt Temporal payloads (codec server)', security: [] })
  @SignedLink()
  @PayloadsResponse('encode')
  @HttpCode(200)
  encodeByLink(@PayloadsBody() body: PayloadsJson) {
    return this.codec.apply('encode', body);
  }
}
