/**
 * A throwaway PostgreSQL cluster that can be stopped and started again on
 * the same port and data directory: a database restart (failover, upgrade)
 * as the gateway sees it. Same binaries and rules as postgres.ts.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';
import { findPostgresBinDir, postgresUnavailableReason } from './postgres.ts';

export { postgresUnavailableReason };

export interface RestartablePostgres {
  /** Superuser URL of the `postgres` database, trust auth on 127.0.0.1. */
  readonly url: string;
  /** Fast shutdown (`pg_ctl stop -m fast`): sessions are ended, new connections refused. */
  down(): Promise<void>;
  /** Starts the server again where it was; resolves once it accepts connections. */
  up(): Promise<void>;
  close(): Promise<void>;
}

function userIds(name: string): { uid: number; gid: number } {
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

async function acceptsConnections(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const reason = postgresUnavailableReason();
  if (reason !== undefined) throw new Error(reason);
  const binDir = findPostgresBinDir() as string;
  const asUser = process.getuid?.() === 0 ? userIds('postgres') : undefined;
  const root = mkdtempSync(path.join(os.tmpdir(), 'portcullis-pg-'));
  const dataDir = path.join(root, 'data');
  if (asUser !== undefined) chownSync(root, asUser.uid, asUser.gid);
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
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  process.on('exit', killOnExit);

  async function up(): Promise<void> {
    child = spawn(
      path.join(binDir, 'postgres'),
      ['-D', dataDir, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1'],
      { stdio: 'ignore', ...asUser },
    );
    const deadline = Date.now() + 30_000;
    while (!(await acceptsConnections(url))) {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('postgres did not accept connections in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function down(): Promise<void> {
    const running = child;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGINT'); // fast shutdown
    await exited;
  }

  await up();
  return {
    url,
    down,
    up,
    async close() {
      await down();
      process.removeListener('exit', killOnExit);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
