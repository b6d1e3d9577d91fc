/**
 * `portcullis serve` (the real CLI, a child process) started while its
 * PostgreSQL or Redis cannot be reached: it names what it could not reach
 * (password hidden) and exits non-zero within a bounded time, instead of
 * hanging or blaming a migration.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { redisUnavailableReason, startTestRedis } from '../support/redis.ts';
import {
  postgresUnavailableReason,
  startRestartablePostgres,
} from '../support/restartable-postgres.ts';

const cliMain = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

interface Exit {
  code: number | null;
  output: string;
  ms: number;
}

/** Runs `portcullis serve` with `env` until it exits, or kills it after `limitMs`. */
async function serve(env: Record<string, string>, limitMs = 15_000): Promise<Exit> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-start-'));
  const start = Date.now();
  const child = spawn(process.execPath, [cliMain, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      PORTCULLIS_DATA_DIR: dataDir,
      PORTCULLIS_PORT: '0',
      PORTCULLIS_SECRET_KEY: 'a'.repeat(43),
      PORTCULLIS_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(killer);
  await rm(dataDir, { recursive: true, force: true });
  return { code, output, ms: Date.now() - start };
}

/** A TCP listener that accepts connections and never answers: a frozen server or a dead route. */
async function silentListener(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe(
  'serve with PostgreSQL unreachable at start',
  { skip: postgresUnavailableReason() },
  () => {
    let downUrl: string;
    let close: () => Promise<void>;
    before(async () => {
      const postgres = await startRestartablePostgres();
      await postgres.down();
      close = () => postgres.close();
      downUrl = postgres.url.replace('postgres@', 'postgres:s3cret@');
    });
    after(() => close?.());

    it('names the database it cannot reach and exits non-zero at once when the server is down', async () => {
      const exit = await serve({ PORTCULLIS_DATABASE_URL: downUrl });
      assert.notEqual(exit.code, 0, exit.output);
      assert.equal(exit.code !== null, true, `exited by itself: ${exit.output}`);
      assert.ok(exit.ms < 10_000, `exited after ${exit.ms} ms`);
      const port = new URL(downUrl).port;
      assert.match(
        exit.output,
        new RegExp(`PostgreSQL at \\S*127\\.0\\.0\\.1:${port}\\S* cannot be reached`),
      );
      assert.doesNotMatch(exit.output, /s3cret/);
      assert.doesNotMatch(exit.output, /Migration failed/);
    });

    it('gives up after the statement timeout when the database accepts and never answers', async () => {
      const silent = await silentListener();
      try {
        const exit = await serve({
          PORTCULLIS_DATABASE_URL: `postgres://portcullis:s3cret@127.0.0.1:${silent.port}/portcullis`,
          PORTCULLIS_DATABASE_STATEMENT_TIMEOUT_MS: '1500',
        });
        assert.notEqual(exit.code, 0, exit.output);
        assert.notEqual(exit.code, null, `exited by itself after ${exit.ms} ms: ${exit.output}`);
        assert.ok(exit.ms < 10_000, `exited after ${exit.ms} ms`);
        assert.match(exit.output, /PostgreSQL at \S+ cannot be reached/);
        assert.doesNotMatch(exit.output, /s3cret/);
      } finally {
        await silent.close();
      }
    });
  },
);

describe('serve with Redis unreachable at start', { skip: redisUnavailableReason() }, () => {
  it('names the Redis it cannot reach and exits non-zero at once when it is down', async () => {
    const redis = await startTestRedis();
    await redis.kill();
    const exit = await serve({ PORTCULLIS_REDIS_URL: `redis://:s3cret@127.0.0.1:${redis.port}` });
    assert.notEqual(exit.code, 0, exit.output);
    assert.notEqual(exit.code, null, `exited by itself: ${exit.output}`);
    assert.ok(exit.ms < 10_000, `exited after ${exit.ms} ms`);
    assert.match(
      exit.output,
      new RegExp(`Redis at \\S*127\\.0\\.0\\.1:${redis.port}\\S* is unreachable`),
    );
    assert.doesNotMatch(exit.output, /s3cret/);
  });

  it('exits non-zero within the command timeout when Redis is frozen', async () => {
    const redis = await startTestRedis();
    redis.pause();
    try {
      const exit = await serve({ PORTCULLIS_REDIS_URL: redis.url });
      assert.notEqual(exit.code, 0, exit.output);
      assert.notEqual(exit.code, null, `exited by itself: ${exit.output}`);
      assert.ok(exit.ms < 10_000, `exited after ${exit.ms} ms`);
      assert.match(exit.output, /Redis at \S+ did not answer in time/);
    } finally {
      redis.resume();
      await redis.close();
    }
  });
});
