import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = join(__dirname, '..', '..', 'scripts', 'temporal-server.sh');

/** The Temporal server version scripts/temporal-server.sh builds (its one constant). */
export function temporalServerVersion(): string {
  const match = /^TEMPORAL_SERVER_VERSION=(v\d+\.\d+\.\d+)\b/m.exec(readFileSync(SCRIPT, 'utf8'));
  if (match?.[1] === undefined) throw new Error(`no TEMPORAL_SERVER_VERSION=vX.Y.Z line in ${SCRIPT}`);
  return match[1];
}

export interface TemporalServer {
  /** host:port of the frontend gRPC service. */
  address: string;
  /** The PostgreSQL databases holding its persistence and visibility stores. */
  databases: string[];
  /** Stops the server (SIGTERM) and drops its databases. */
  stop(): Promise<void>;
}

/**
 * Temporal's production server (go.temporal.io/server, built by scripts/temporal-server.sh) on
 * its own pair of fresh PostgreSQL databases, so test files never share its persistence.
 */
export async function startTemporalServer(): Promise<TemporalServer> {
  const dir = mkdtempSync(join(tmpdir(), 'interlock-temporal-server-'));
  const db = `temporal_test_${randomBytes(4).toString('hex')}`;
  const stop = async () => {
    await run('bash', [SCRIPT, 'stop', dir, '--drop']);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { stdout } = await run('bash', [SCRIPT, 'start', dir], {
      env: { ...process.env, TEMPORAL_SERVER_DB: db },
      timeout: 240_000,
    });
    return { address: stdout.trim(), databases: [db, `${db}_visibility`], stop };
  } catch (err) {
    const log = (() => {
      try {
        return readFileSync(join(dir, 'server.log'), 'utf8').slice(-4000);
      } catch {
        return '(no server log)';
      }
    })();
    await stop().catch(() => undefined);
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`scripts/temporal-server.sh start failed:\n${stderr}\nserver log tail:\n${log}`, { cause: err });
  }
}
