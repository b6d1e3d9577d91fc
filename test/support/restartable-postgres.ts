/**
 * A throwaway PostgreSQL cluster that can be stopped and started again on
 * the same port and data directory: a database restart (failover, upgrade)
 * as the gateway sees it. Same binaries and rules as postgres.ts.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { once } from 'node:events';
import { freePort } from './free-port.ts';
import {
  initCluster,
  postgresUnavailableReason,
  spawnPostgres,
  waitUntilReady,
} from './postgres.ts';

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

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const cluster = initCluster();
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  process.on('exit', killOnExit);

  async function up(): Promise<void> {
    const started = spawnPostgres(cluster, port);
    child = started;
    let log = '';
    started.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      log = (log + chunk).slice(-8_000);
    });
    await waitUntilReady(url, started, () => log);
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
      rmSync(cluster.root, { recursive: true, force: true });
    },
  };
}
