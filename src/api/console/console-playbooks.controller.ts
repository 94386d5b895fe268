import { Body, Controller, Get, HttpCode, Inject, Post, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProduces } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../../logging';
import { ApiError, issuesFromZod } from '../common/api-error';
import { ConsoleSessionAuth } from '../common/openapi-security';
import { ZodParam } from '../common/zod-pipe';
import { ConsoleSessionGuard, CurrentConsoleSession, type RequestWithSession } from './auth/console-session.guard';
import { CSRF_FIELD } from './auth/csrf';
import { PlaybooksService } from '../playbooks/playbooks.service';
import { LOGGER } from '../tokens';
import { sendConsolePage } from './layout';
import { ConsolePageErrors, viewerOf } from './page-errors';
import { playbookPage, playbooksPage, type DryRunResult, type PlaybookSummary } from './playbook-pages';

type Session = NonNullable<RequestWithSession['consoleSession']>;

const playbookIdSchema = z
  .string()
  .max(64)
  .regex(/^[a-z0-9-]+$/, 'not a playbook ID');

/** The dry-run form, as posted: the source, and the alert as JSON text. */
const dryRunFormSchema = z.object({
  [CSRF_FIELD]: z.string().optional(),
  source: z.string().min(1).max(64),
  alert: z
    .string()
    .min(1, 'paste an alert')
    .max(256 * 1024),
});

/** The playbooks pages of the console (docs/console.md): list, YAML view and dry-run form. */
@Controller('console/playbooks')
@UseFilters(ConsolePageErrors)
@UseGuards(ConsoleSessionGuard)
@ConsoleSessionAuth()
export class ConsolePlaybooksController {
  constructor(
    @Inject(PlaybooksService) private readonly playbooks: PlaybooksService,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  @Get()
  @ApiOperation({ summary: "The playbooks (HTML): triggers and the policy's warnings per step" })
  @ApiProduces('text/html')
  async list(@CurrentConsoleSession() session: Session, @Res() reply: FastifyReply): Promise<FastifyReply> {
    return sendConsolePage(
      reply,
      200,
      playbooksPage({ viewer: viewerOf(session), playbooks: await this.playbooks.list() }),
    );
  }

  @Get(':id')
  @ApiOperation({ summary: 'One playbook (HTML): triggers, steps, warnings, its YAML and the dry-run form' })
  @ApiProduces('text/html')
  async one(
    @ZodParam('id', playbookIdSchema, 'playbook ID') playbookId: string,
    @CurrentConsoleSession() session: Session,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    return sendConsolePage(reply, 200, await this.page(playbookId, session, {}));
  }

  @Post(':id/dry-run')
  @HttpCode(200)
  @ApiOperation({ summary: 'Dry-runs the playbook with a pasted alert (form, CSRF token): the page with the result' })
  @ApiProduces('text/html')
  @ApiBody({
    required: true,
    schema: {
      type: 'object',
      required: [CSRF_FIELD, 'source', 'alert'],
      properties: {
        [CSRF_FIELD]: { type: 'string' },
        source: { type: 'string', description: 'a configured webhook source' },
        alert: { type: 'string', description: 'the alert as JSON text, as the source would POST it' },
      },
    },
  })
  async dryRun(
    @ZodParam('id', playbookIdSchema, 'playbook ID') playbookId: string,
    @CurrentConsoleSession() session: Session,
    @Body() body: unknown,
    @Res() reply: FastifyReply,
  ): Promise<FastifyReply> {
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const form = {
      source: typeof fields['source'] === 'string' ? fields['source'] : '',
      alert: typeof fields['alert'] === 'string' ? fields['alert'] : '',
    };
    const parsed = dryRunFormSchema.safeParse(body);
    if (!parsed.success) {
      const error = { message: 'the form is not complete', issues: issuesFromZod(parsed.error.issues) };
      return sendConsolePage(reply, 400, await this.page(playbookId, session, { form, error }));
    }
    let alert: unknown;
    try {
      alert = JSON.parse(parsed.data.alert);
    } catch (error) {
      const message = error instanceof Error ? error.message : 'not JSON';
      const issue = { path: 'alert', message: `not valid JSON: ${message}` };
      return sendConsolePage(
        reply,
        400,
        await this.page(playbookId, session, { form, error: { message: 'the alert is not JSON', issues: [issue] } }),
      );
    }
    try {
      const result = await this.playbooks.dryRun(playbookId, parsed.data.source, alert);
      return sendConsolePage(reply, 200, await this.page(playbookId, session, { form, result }));
    } catch (error) {
      if (error instanceof ApiError && error.getStatus() === 404) throw error;
      // A payload a normalizer cannot read is the author's input, not a server fault: 400 with the reason.
      const refusal =
        error instanceof ApiError
          ? (error.getResponse() as { error: { message: string; issues?: { path: string; message: string }[] } }).error
          : { message: `the alert could not be read: ${error instanceof Error ? error.message : String(error)}` };
      if (!(error instanceof ApiError)) this.log.warn({ err: error, playbookId }, 'console dry run: unreadable alert');
      const status = error instanceof ApiError ? error.getStatus() : 400;
      return sendConsolePage(reply, status, await this.page(playbookId, session, { form, error: refusal }));
    }
  }

  private async page(
    playbookId: string,
    session: Session,
    extra: {
      form?: { source: string; alert: string };
      result?: DryRunResult;
      error?: { message: string; issues?: readonly { path: string; message: string }[] };
    },
  ): Promise<string> {
    const [file, summaries] = await Promise.all([this.playbooks.file(playbookId), this.playbooks.list()]);
    const summary: PlaybookSummary | undefined = summaries.find((p) => p.id === playbookId);
    if (file === undefined || summary === undefined)
      throw new ApiError(404, 'playbook_not_found', `no playbook "${playbookId}"`);
    return playbookPage({
      viewer: viewerOf(session),
      playbook: summary,
      file: file.file,
      yaml: file.text,
      sources: this.playbooks.sources(),
      ...extra,
    });
  }
}
