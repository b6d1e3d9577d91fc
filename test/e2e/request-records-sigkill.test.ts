/**
 * SIGKILL in the middle of a load, with the record spool on
 * (PORTCULLIS_RECORD_SPOOL): the killed gateway, a real child process running
 * `portcullis serve` on SQLite, flushes nothing; a new process started on the
 * same data directory inserts what the spool holds before it listens. Then
 * every request that got its answer has exactly one record.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
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
const KILL_AFTER = 150;
const MAX_ATTEMPTS = 3;

interface Serving {
  child: ChildProcessByStdio<null, Readable, Readable>;
  url: string;
  exited: Promise<NodeJS.Signals | number | null>;
}

async function readRecords(dataDir: string): Promise<RequestRecord[]> {
  const store = await createStore({ kind: 'sqlite', file: path.join(dataDir, SQLITE_FILE_NAME) });
  try {
    return await store.requestRecords.list({ workspaceId: 'acme', limit: 100_000 });
  } finally {
    await store.close();
  }
}

describe('request records survive SIGKILL mid-load through the record spool', () => {
  let upstream: RunningFixtureServer;
  let root: string;
  let dataDir: string;
  let load: SimpleTextLoad = { completed: [], sent: 0 };
  let storedAtKill = 0;
  let killedBy: NodeJS.Signals | number | null = null;
  let records: RequestRecord[] = [];
  let spoolLeft: string[] = [];

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    root = await mkdtemp(path.join(os.tmpdir(), 'portcullis-sigkill-'));
    dataDir = path.join(root, 'data');
    await mkdir(dataDir);
    const apiKey = `pcl_${crypto.randomBytes(32).toString('base64url')}`;
    const configFile = path.join(root, 'portcullis.yaml');
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
    const env = {
      PATH: process.env.PATH,
      PORTCULLIS_HOST: '127.0.0.1',
      PORTCULLIS_PORT: '0',
      PORTCULLIS_DATA_DIR: dataDir,
      PORTCULLIS_SECRET_KEY: crypto.randomBytes(32).toString('base64url'),
      PORTCULLIS_UPSTREAM_ALLOW_PRIVATE: '127.0.0.0/8,::1',
      PORTCULLIS_LOG_LEVEL: 'silent',
      PORTCULLIS_RECORD_SPOOL: 'true',
      LOAD_KEY: apiKey,
    };
    const serve = async (): Promise<Serving> => {
      const child = spawn(process.execPath, ['src/cli/main.ts', 'serve', '--config', configFile], {
        cwd: repoRoot,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
        child.once('exit', (code, signal) => resolve(signal ?? code)),
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
      return { child, url, exited };
    };

    // A flush that lands between the last answer and the kill stores everything, and the
    // run then proves nothing: it is run again (on a fresh data directory), at most 3 times.
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (attempt > 1) {
        await rm(dataDir, { recursive: true, force: true });
        await mkdir(dataDir);
      }
      const first = await serve();
      let killed = false;
      load = await callSimpleTextUntilGone(
        `${first.url}/acme/fixture/mcp`,
        apiKey,
        WORKERS,
        (completed) => {
          if (!killed && completed.length >= KILL_AFTER) {
            killed = true;
            first.child.kill('SIGKILL');
          }
        },
      );
      killedBy = await first.exited;
      storedAtKill = (await readRecords(dataDir)).length;
      if (storedAtKill < load.completed.length) break;
    }

    // The next process on this data directory replays the spool before it listens.
    const second = await serve();
    second.child.kill('SIGTERM');
    await second.exited;
    records = await readRecords(dataDir);
    spoolLeft = await readdir(path.join(dataDir, 'record-spool'));
  });
  after(async () => {
    await upstream?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('was killed while answered requests still waited for their batch insert', () => {
    const { completed } = load;
    assert.equal(killedBy, 'SIGKILL');
    assert.ok(completed.length >= KILL_AFTER, `only ${completed.length} answered`);
    assert.ok(
      storedAtKill < completed.length,
      `all ${completed.length} records were stored before the kill: the test proves nothing`,
    );
  });

  it('has exactly one record for every request that got its answer, and none made up', () => {
    const { completed, sent } = load;
    const ids = records.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    const stored = new Set(ids);
    assert.deepEqual(
      completed.filter((id) => !stored.has(id)),
      [],
    );
    assert.ok(records.length <= sent, `${records.length} records for ${sent} requests`);
    for (const record of records.filter((r) => completed.includes(r.id))) {
      assert.equal(record.method, 'tools/call');
      assert.equal(record.target, 'test_simple_text');
      assert.equal(record.status, 'ok');
    }
  });

  it('leaves an empty spool once the replayed records are stored', () => {
    assert.deepEqual(spoolLeft, []);
  });
});
