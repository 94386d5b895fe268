import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { alertView, type Alert } from '../../alerts/alert';
import type { InterlockConfig } from '../../config/schema';
import { correlationKey, incidentIdFor } from '../../intake/correlation';
import { getNormalizer, NormalizationError } from '../../intake/normalizers';
import { dryRunPlaybook, policyWarnings, type PlannedStep, type PolicyWarning } from '../../playbooks/dry-run';
import { playbookJsonSchema } from '../../playbooks/json-schema';
import { checkPlaybookYaml, loadPlaybookFiles, type PlaybookFile } from '../../playbooks/loader';
import { AlertAssetResolver } from '../../playbooks/alert-assets';
import { explainMatch, type PlaybookMatch } from '../../playbooks/explain';
import { validatePlaybook, type Playbook, type PlaybookIssue } from '../../playbooks/schema';
import { PolicyEngine } from '../../policy/policy-engine';
import { ApiError } from '../common/api-error';
import { CONFIG } from '../tokens';

export type ValidationResult =
  | { valid: true; playbook: { id: string; version: number }; warnings: PolicyWarning[] }
  | { valid: false; issues: (PlaybookIssue & { line?: number })[]; warnings: [] };

/**
 * Playbook tooling for authors: list, validate (schema + policy warnings) and dry-run with an
 * alert. Pure computation over the configuration and the playbooks directory: no Temporal, no
 * integration, no database write.
 */
@Injectable()
export class PlaybooksService {
  private readonly engine: PolicyEngine;
  private readonly assets: AlertAssetResolver;
  private loaded: Promise<PlaybookFile[]> | undefined;

  constructor(@Inject(CONFIG) private readonly config: InterlockConfig) {
    this.engine = new PolicyEngine(config);
    this.assets = new AlertAssetResolver(config);
  }

  private files(): Promise<PlaybookFile[]> {
    this.loaded ??= loadPlaybookFiles(this.config.playbooks.dir);
    return this.loaded;
  }

  private async playbooks(): Promise<Playbook[]> {
    return (await this.files()).map((f) => f.playbook);
  }

  /** One loaded playbook with its file name and YAML text (the console's YAML view). */
  async file(playbookId: string): Promise<PlaybookFile | undefined> {
    return (await this.files()).find((f) => f.playbook.id === playbookId);
  }

  /** The webhook sources an alert can be dry-run as (the configured ones). */
  sources(): string[] {
    return Object.keys(this.config.sources);
  }

  async list() {
    return (await this.playbooks()).map((p) => ({
      id: p.id,
      name: p.name,
      version: p.version,
      ...(p.description === undefined ? {} : { description: p.description }),
      rollbackOnFailure: p.rollbackOnFailure,
      triggers: p.triggers,
      steps: p.steps.map((s) => ({ id: s.id, action: s.action })),
      warnings: policyWarnings(p, this.engine),
    }));
  }

  jsonSchema(): Record<string, unknown> {
    return playbookJsonSchema();
  }

  validate(input: { yaml: string } | { playbook: unknown }): ValidationResult {
    if ('yaml' in input) {
      const result = checkPlaybookYaml(input.yaml);
      // A document beyond the parser's limits (alias bomb, deep nesting) is refused, not judged.
      if (!result.ok && result.limit)
        throw new ApiError(
          422,
          'yaml_limit_exceeded',
          'the YAML exceeds a parser limit',
          result.issues.map(({ line, message }) => ({
            path: 'yaml',
            message: line === undefined ? message : `line ${line}: ${message}`,
          })),
        );
      if (!result.ok)
        return {
          valid: false,
          issues: result.issues.map(({ path, message, line }) => ({
            path,
            message,
            ...(line === undefined ? {} : { line }),
          })),
          warnings: [],
        };
      return this.validated(result.playbook);
    }
    const result = validatePlaybook(input.playbook);
    if (!result.ok) return { valid: false, issues: result.issues, warnings: [] };
    return this.validated(result.playbook);
  }

  private validated(playbook: Playbook): ValidationResult {
    return {
      valid: true,
      playbook: { id: playbook.id, version: playbook.version },
      warnings: policyWarnings(playbook, this.engine),
    };
  }

  async dryRun(
    playbookId: string,
    source: string,
    payload: unknown,
  ): Promise<{
    playbook: { id: string; version: number };
    alert: Pick<Alert, 'uid' | 'title' | 'severity' | 'network' | 'ot' | 'attacks' | 'category' | 'provenance'>;
    triggerMatches: boolean;
    /** Why this playbook matches or not: per trigger, the first false filter with the values it read. */
    match: PlaybookMatch;
    /** The same for every loaded playbook: what the real run would start. */
    playbooks: PlaybookMatch[];
    sideEffects: 'none';
    incidentId: string;
    steps: PlannedStep[];
  }> {
    const playbook = (await this.playbooks()).find((p) => p.id === playbookId);
    if (playbook === undefined) throw new ApiError(404, 'playbook_not_found', `no playbook "${playbookId}"`);
    const format = this.config.sources[source]?.format ?? source;
    const normalize = getNormalizer(format);
    if (normalize === undefined)
      throw new ApiError(400, 'invalid_request', `unknown alert format "${source}"`, [
        { path: 'source', message: `no normalizer for "${format}"` },
      ]);
    const raw = JSON.stringify(payload);
    let alerts: Alert[];
    try {
      alerts = normalize(payload, {
        source,
        rawSha256: createHash('sha256').update(raw).digest('hex'),
        receivedAt: new Date().toISOString(),
      });
    } catch (error) {
      if (error instanceof NormalizationError)
        throw new ApiError(
          400,
          'invalid_alert',
          error.message,
          error.fieldIssues.map((i) => ({ path: `alert.${i.path}`, message: i.message })),
        );
      throw error;
    }
    const alert = alerts[0];
    if (alert === undefined) throw new ApiError(400, 'invalid_alert', 'the payload carries no alert');
    const incidentId = incidentIdFor(correlationKey(alert, this.config.sources[source]?.correlationKey));
    // The same endpoint resolution and explanation the admission records with the real alert.
    const assets = this.assets.resolve(alert);
    const playbooks = (await this.playbooks()).map((p) => explainMatch(p, alert, assets));
    const match = playbooks.find((m) => m.playbookId === playbook.id) ?? explainMatch(playbook, alert, assets);
    const { network, ot, attacks, category } = alertView(alert);
    return {
      playbook: { id: playbook.id, version: playbook.version },
      alert: {
        uid: alert.uid,
        title: alert.title,
        severity: alert.severity,
        network,
        ot,
        attacks,
        category,
        ...(alert.provenance === undefined ? {} : { provenance: alert.provenance }),
      },
      triggerMatches: match.matched,
      match,
      playbooks,
      sideEffects: 'none',
      // The incident ID the alert would get, so templates (and action digests) match the real run.
      incidentId,
      steps: dryRunPlaybook(playbook, alert, this.engine, incidentId),
    };
  }
}
