import { Body, Controller, Get, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { OperatorAuth } from '../common/openapi-security';
import type { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import type { InterlockConfig } from '../../config/schema';
import { PayloadDecryptionError } from '../../runtime/payload-codec';
import { type AuthenticatedOperator, OperatorDirectory } from '../auth/operator-directory';
import { CurrentOperator, OperatorGuard } from '../auth/operator.guard';
import { ApiError } from '../common/api-error';
import { parseOrThrow } from '../common/zod-body';
import { CONFIG, TEMPORAL_CLIENT } from '../tokens';
import { checkCodecLink, signCodecLink } from './codec-link';

// Temporal's codec server protocol: Payloads as protobuf JSON, bytes in base64.
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64');
const payloadsSchema = z.object({
  payloads: z
    .array(z.object({ metadata: z.record(z.string(), base64).optional(), data: base64.optional() }))
    .default([]),
});
type PayloadsJson = z.output<typeof payloadsSchema>;

const linkParamsSchema = z.object({
  op: z.string().min(1).max(200),
  exp: z.coerce.number().int().positive(),
  sig: z.string().regex(/^[0-9a-f]{64}$/),
});

function fromJson(json: PayloadsJson['payloads'][number]): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(json.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: Buffer.from(json.data ?? '', 'base64'),
  };
}

function toJson(payload: Payload): { metadata: Record<string, string>; data: string } {
  const bytes = (value: Uint8Array | null | undefined) => (value ? Buffer.from(value).toString('base64') : '');
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, bytes(v)])),
    data: bytes(payload.data),
  };
}

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
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(CONFIG) private readonly config: InterlockConfig,
    @Inject(OperatorDirectory) private readonly directory: OperatorDirectory,
  ) {}

  /** A codec endpoint URL for this operator's Temporal Web UI (valid 12 hours). */
  @Get('link')
  @UseGuards(OperatorGuard)
  @OperatorAuth()
  link(@CurrentOperator() operator: AuthenticatedOperator) {
    const apiKey = this.directory.byId(operator.id)?.apiKey;
    if (apiKey === undefined) throw new ApiError(401, 'unauthorized', 'operator has no API key');
    const { path, expiresAt } = signCodecLink(apiKey, operator.id);
    return { endpoint: `${this.config.server.publicUrl.replace(/\/+$/, '')}${path}`, expiresAt };
  }

  @Post('decode')
  @HttpCode(200)
  @UseGuards(OperatorGuard)
  @OperatorAuth()
  decode(@Body() body: unknown) {
    return this.apply('decode', body);
  }

  @Post('encode')
  @HttpCode(200)
  @UseGuards(OperatorGuard)
  @OperatorAuth()
  encode(@Body() body: unknown) {
    return this.apply('encode', body);
  }

  @Post(':op/:exp/:sig/decode')
  @ApiParam({ name: 'op', description: 'signed link: operator ID' })
  @ApiParam({ name: 'exp', description: 'signed link: expiry (Unix seconds)' })
  @ApiParam({ name: 'sig', description: 'signed link: signature' })
  @HttpCode(200)
  decodeByLink(@Param() params: unknown, @Body() body: unknown) {
    this.checkLink(params);
    return this.apply('decode', body);
  }

  @Post(':op/:exp/:sig/encode')
  @ApiParam({ name: 'op', description: 'signed link: operator ID' })
  @ApiParam({ name: 'exp', description: 'signed link: expiry (Unix seconds)' })
  @ApiParam({ name: 'sig', description: 'signed link: signature' })
  @HttpCode(200)
  encodeByLink(@Param() params: unknown, @Body() body: unknown) {
    this.checkLink(params);
    return this.apply('encode', body);
  }

  private checkLink(params: unknown): void {
    const link = linkParamsSchema.safeParse(params);
    const apiKey = link.success ? this.directory.byId(link.data.op)?.apiKey : undefined;
    if (!link.success || apiKey === undefined || !checkCodecLink(apiKey, link.data))
      throw new ApiError(
        401,
        'unauthorized',
        'this codec endpoint link is invalid or expired: get a new one from GET /codec/link',
      );
  }

  private async apply(direction: 'decode' | 'encode', body: unknown) {
    const { payloads } = parseOrThrow(payloadsSchema, body ?? {}, 'Payloads');
    const codecs = this.temporal.options.loadedDataConverter.payloadCodecs;
    let result = payloads.map(fromJson);
    try {
      // Encoded in the codecs' order, decoded in reverse (as the SDK does).
      for (const codec of direction === 'encode' ? codecs : [...codecs].reverse())
        result = await codec[direction](result);
    } catch (error) {
      if (error instanceof PayloadDecryptionError) throw new ApiError(400, 'undecodable_payload', error.message);
      throw error;
    }
    return { payloads: result.map(toJson) };
  }
}
