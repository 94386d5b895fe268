import { Controller, Get, HttpCode, Inject, Post, UseGuards } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { z } from 'zod';
import { OperatorGuard } from '../auth/operator.guard';
import { ZodBody, ZodParam } from '../common/zod-pipe';
import { PlaybooksService } from './playbooks.service';
import { OperatorAuth } from '../common/openapi-security';

const validateBodySchema = z.union([
  z.strictObject({
    yaml: z
      .string()
      .min(1)
      .max(256 * 1024),
  }),
  z.strictObject({ playbook: z.unknown() }),
]);

const dryRunBodySchema = z.strictObject({
  /** Webhook source (or format) the alert is written in; default generic. */
  source: z.string().min(1).max(64).default('generic'),
  /** The alert, exactly as that source would POST it. */
  alert: z.unknown().refine((v) => v !== undefined, 'required'),
});

const playbookIdSchema = z
  .string()
  .max(64)
  .regex(/^[a-z0-9-]+$/, 'not a playbook ID');

/** Playbook tooling (operators only): list, validate with policy warnings, dry-run. */
@Controller('playbooks')
@UseGuards(OperatorGuard)
@OperatorAuth()
export class PlaybooksController {
  constructor(@Inject(PlaybooksService) private readonly playbooks: PlaybooksService) {}

  @Get()
  @ApiOperation({ summary: 'List the loaded playbooks' })
  async list() {
    return { playbooks: await this.playbooks.list() };
  }

  @Get('schema')
  @ApiOperation({ summary: 'JSON Schema of the playbook format' })
  schema() {
    return this.playbooks.jsonSchema();
  }

  /** `{yaml}` or `{playbook}` → `{valid, issues?, warnings}`: schema errors with paths, policy gates as warnings. */
  @Post('validate')
  @ApiOperation({ summary: 'Validate a playbook (schema errors and policy warnings)' })
  @HttpCode(200)
  validate(@ZodBody(validateBodySchema) body: z.output<typeof validateBodySchema>) {
    return this.playbooks.validate(body);
  }

  /** Per step: resolved target, decision and rule — nothing is executed, no integration is called. */
  @Post(':id/dry-run')
  @ApiOperation({ summary: 'Dry-run a playbook against an alert' })
  @HttpCode(200)
  dryRun(
    @ZodParam('id', playbookIdSchema, 'playbook ID') playbookId: string,
    @ZodBody(dryRunBodySchema) request: z.output<typeof dryRunBodySchema>,
  ) {
    return this.playbooks.dryRun(playbookId, request.source, request.alert);
  }
}
