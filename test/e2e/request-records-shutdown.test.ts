/**
 * SIGTERM in the middle of a load: the gateway, a real child process running
 * `portcullis serve`, stops accepting, finishes what it holds, flushes the
 * record queue and exits 0. Every request that got its answer has its record
 * in the store; no record exists for a request that was never sent.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { createStore } from '../../src/store/create-store.ts';
import { SQLITE_FILE_NAME } from '../../src/store/store-options.ts';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { callSimpleTextUntilGone } from '../support/mcp-http.ts';
import type { SimpleTextLoad } from '../support/mcp-http.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const WORKERS = 8;
const SIGTERM_AFTER = 150;

describe('request records survive SIGTERM mid-load', () => {
  let upstream: RunningFixtureServer;
  let dataDir: string;
  let exitCode: number | null = null;
  let signal: NodeJS.Signals | null = null;
  let load: SimpleTextLoad = { completed: [], sent: 0 };
  let records: RequestRecord[] = [];

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-sigterm-'));
    const apiKey = `pcl_${crypto.randomBytes(32).toString('base64url')}`;
    const configFile = path.join(dataDir, 'portcullis.yaml');
    await writeFile(
      configFile,
      stringify({
        users: [{ email: 'admin@acme.test' }],
        workspaces: [
          {
            id: 'acme',
            name: 'Acme',
            members: [{ email: 'admin@acme.test', role: 'owner' }],
            servers: [{ id: 'fixture', transport: 'http', url: upstream.url }],
          },
        ],
        api_keys: [
          { name: 'load', user: 'admin@acme.test', workspace: 'acme', key_env: 'LOAD_KEY' },
        ],
      }),
    );
    const child = spawn(process.execPath, ['src/cli/main.ts', 'serve', '--config', configFile], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH,
        PORTCULLIS_HOST: '127.0.0.1',
        PORTCULLIS_PORT: '0',
        PORTCULLIS_DATA_DIR: dataDir,
        PORTCULLIS_SECRET_KEY: crypto.randomBytes(32).toString('base64url'),
        PORTCULLIS_UPSTREAM_ALLOW_PRIVATE: '127.0.0.0/8,::1',
        PORTCULLIS_LOG_LEVEL: 'silent',
        LOAD_KEY: apiKey,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) =>
      child.once('exit', (code, sig) => {
        exitCode = code;
        signal = sig;
        resolve();
      }),
    );
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const found = /listening on (\S+)/.exec(output);
        if (found) resolve(found[1]!);
      });
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', () => reject(new Error(`the gateway exited early:\n${output}`)));
    });

    let stopping = false;
    load = await callSimpleTextUntilGone(
      `${url}/acme/fixture/mcp`,
      apiKey,
      WORKERS,
      (completed) => {
        if (!stopping && completed.length >= SIGTERM_AFTER) {
          stopping = true;
          child.kill('SIGTERM');
        }
      },
    );
    await exited;

    const store = await createStore({ kind: 'sqlite', file: path.join(dataDir, SQLITE_FILE_NAME) });
    try {
      records = await store.requestRecords.list({ workspaceId: 'acme', limit: 100_000 });
    } finally {
      await store.close();
    }
  });
  after(async () => {
    await upstream?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('exits cleanly on SIGTERM', () => {
    assert.equal(signal, null);
    assert.equal(exitCode, 0);
  });

  it('keeps the record of every request that got its answer, and none made up', () => {
    const { completed, sent } = load;
    assert.ok(completed.length >= SIGTERM_AFTER, `only ${completed.length} answered`);
    const ids = new Set(records.map((r) => r.id));
    const missing = completed.filter((id) => !ids.has(id));
    assert.deepEqual(missing, []);
    assert.ok(records.length <= sent, `${records.length} records for ${sent} requests`);
    for (const record of records.filter((r) => completed.includes(r.id))) {
      assert.equal(record.method, 'tools/call');
      assert.equal(record.target, 'test_simple_text');
      assert.equal(record.status, 'ok');
      assert.equal(record.era, 'modern');
    }
  });
});
