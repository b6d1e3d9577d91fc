/**
 * A throwaway PostgreSQL cluster for tests: initdb into a temp dir, a
 * postgres child process on a free loopback port, everything removed by
 * stop(). Uses the Debian server package (`apt-get install postgresql`,
 * binaries in /usr/lib/postgresql/<version>/bin) or initdb on PATH.
 * As root, the server runs as the `postgres` user (postgres refuses root).
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';

export interface RunningPostgres {
  /** Superuser URL of the `postgres` database, trust auth on 127.0.0.1. */
  url: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const hasServerBinaries = (dir: string) =>
  isExecutable(path.join(dir, 'initdb')) && isExecutable(path.join(dir, 'postgres'));

/**
 * The directory holding initdb and postgres: POSTGRES_BIN_DIR when set, else
 * the newest Debian version, else PATH; undefined if absent.
 */
export function findPostgresBinDir(): string | undefined {
  const configured = process.env.POSTGRES_BIN_DIR;
  if (configured !== undefined && configured !== '')
    return hasServerBinaries(configured) ? configured : undefined;
  const debianRoot = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = readdirSync(debianRoot).sort((a, b) => Number(b) - Number(a));
  } catch {
    // not a Debian layout
  }
  const candidates = versions.map((version) => path.join(debianRoot, version, 'bin'));
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(dir);
  return candidates.find(hasServerBinaries);
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresUnavailableReason(): string | undefined {
  if (findPostgresBinDir() === undefined)
    return process.env.POSTGRES_BIN_DIR
      ? `POSTGRES_BIN_DIR=${process.env.POSTGRES_BIN_DIR} holds no initdb and postgres`
      : 'PostgreSQL server binaries not found (install the Debian package: apt-get install -y postgresql)';
  if (process.getuid?.() === 0 && lookupUser('postgres') === undefined)
    return 'running as root and there is no "postgres" user to run the server as';
  return undefined;
}

function lookupUser(name: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Resolves once the server accepts connections; throws with its log when it exits or takes too long. */
export async function waitUntilReady(
  url: string,
  child: ChildProcess,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited early:\n${log()}`);
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline)
        throw new Error(`postgres did not accept connections in time:\n${log()}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** An initialised, not yet running cluster in a temp directory (`root`, removed by its owner). */
export interface PostgresCluster {
  readonly binDir: string;
  readonly asUser: { uid: number; gid: number } | undefined;
  readonly root: string;
  readonly dataDir: string;
}

/** Runs initdb into a new temp directory; throws (and removes it) when PostgreSQL cannot run here. */
export function initCluster(): PostgresCluster {
  const reason = postgresUnavailableReason();
  if (reason !== undefined) throw new Error(reason);
  const binDir = findPostgresBinDir() as string;
  const asUser = process.getuid?.() === 0 ? lookupUser('postgres') : undefined;
  const root = mkdtempSync(path.join(os.tmpdir(), 'portcullis-pg-'));
  const dataDir = path.join(root, 'data');
  if (asUser !== undefined) chownSync(root, asUser.uid, asUser.gid);
  try {
    execFileSync(
      path.join(binDir, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--auth=trust',
        '--encoding=UTF8',
        '--no-locale',
        '--no-sync',
      ],
      { stdio: 'pipe', ...asUser },
    );
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw new Error('initdb failed', { cause: error });
  }
  return { binDir, asUser, root, dataDir };
}

/** The server on `port` over the cluster's data directory, its stderr piped. */
export function spawnPostgres(cluster: PostgresCluster, port: number): ChildProcess {
  // Durability settings off: the cluster lives only as long as the tests.
  return spawn(
    path.join(cluster.binDir, 'postgres'),
    [
      '-D',
      cluster.dataDir,
      '-p',
      String(port),
      '-k',
      cluster.root,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], ...cluster.asUser },
  );
}

export async function startPostgres(): Promise<RunningPostgres> {
  const cluster = initCluster();
  const removeRoot = () => rmSync(cluster.root, { recursive: true, force: true });
  const port = await freePort();
  const child = spawnPostgres(cluster, port);
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    log = (log + chunk).slice(-8_000);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      child.kill('SIGINT'); // fast shutdown
      if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
        child.kill('SIGKILL');
        await waitForExit(child, STOP_TIMEOUT_MS);
      }
      process.removeListener('exit', killOnExit);
      removeRoot();
    })();
    return stopped;
  };

  try {
    await waitUntilReady(url, child, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
