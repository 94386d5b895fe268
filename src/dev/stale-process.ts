/**
 * Bookkeeping for dev servers that outlive their parent. The Temporal SDK starts its ephemeral
 * server as a child process that keeps running when Node dies without tearing it down (kill -9,
 * a crash that calls process.exit), and that orphan keeps the SQLite file and the UI port. We
 * record its PID next to the database and stop it on the next start. Linux /proc only: elsewhere
 * these helpers do nothing.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

function cmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

function parentPid(pid: number): number | undefined {
  try {
    // The command name (field 2) is parenthesised and may contain spaces: parse after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

/** PID of a direct child of this process whose command line contains every marker. */
export function findChildProcess(markers: string[]): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (parentPid(pid) !== process.pid) continue;
    const cmd = cmdline(pid);
    if (cmd && markers.every((m) => cmd.includes(m))) return pid;
  }
  return undefined;
}

export async function recordPid(pidFile: string, pid: number): Promise<void> {
  await writeFile(pidFile, `${pid}\n`);
}

export async function forgetPid(pidFile: string): Promise<void> {
  await rm(pidFile, { force: true });
}

/**
 * Stops the process recorded in pidFile if it is still alive and its command line still contains
 * every marker (so a recycled PID of an unrelated process is never signalled). Returns its PID if stopped.
 */
export async function stopRecordedProcess(pidFile: string, markers: string[]): Promise<number | undefined> {
  const recorded = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  await forgetPid(pidFile);
  if (!Number.isInteger(recorded) || recorded <= 0) return undefined;
  const cmd = cmdline(recorded);
  if (!cmd || !markers.every((m) => cmd.includes(m))) return undefined;
  process.kill(recorded, 'SIGTERM');
  for (let waited = 0; waited < 10_000; waited += 100) {
    if (!cmdline(recorded)) return recorded; // gone, or a zombie (empty cmdline) waiting to be reaped
    await sleep(100);
  }
  process.kill(recorded, 'SIGKILL');
  await sleep(200);
  return recorded;
}
