import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { createStore } from '../store/create-store.ts';
import { SQLITE_FILE_NAME } from '../store/store-options.ts';
import type { CliIo } from './cli-command.ts';
import { runCli } from './run-cli.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'portcullis-audit-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

const config = `users:
  - email: admin@acme.test
    admin: true
workspaces:
  - id: acme
    name: Acme
    members:
      - { email: admin@acme.test, role: owner }
    servers:
      - id: everything
        transport: http
        url: http://127.0.0.1:3001/mcp
`;

async function cli(argv: string[], dataDir: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: {
      PORTCULLIS_DATA_DIR: dataDir,
      PORTCULLIS_SECRET_KEY: 'audit-command-test-secret-key-of-enough-length',
    },
    stopSignal: () => new Promise(() => undefined),
  };
  const code = await runCli(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A data dir whose audit log holds the four entries of one config apply. */
async function applied(): Promise<{ dataDir: string; file: string }> {
  const dataDir = path.join(root, `data-${++counter}`);
  const file = path.join(root, `config-${counter}.yaml`);
  writeFileSync(file, config);
  const apply = await cli(['apply', '-f', file], dataDir);
  assert.equal(apply.code, 0, apply.err);
  return { dataDir, file: path.join(dataDir, SQLITE_FILE_NAME) };
}

describe('portcullis audit', () => {
  it('refuses a missing or unknown subcommand and unknown flags with exit 2', async () => {
    const dataDir = path.join(root, 'untouched');
    for (const argv of [['audit'], ['audit', 'nope'], ['audit', 'verify', '--fast']]) {
      const { code, err } = await cli(argv, dataDir);
      assert.equal(code, 2, argv.join(' '));
      assert.match(err, /portcullis audit: .*\nRun `portcullis audit --help`/);
    }
  });

  it('verify exits 0 with the row count after a config apply recorded by the file', async () => {
    const { dataDir, file } = await applied();
    // Applying the same file again changes nothing, so records nothing.
    const again = await cli(['apply', '-f', path.join(root, `config-${counter}.yaml`)], dataDir);
    assert.equal(again.code, 0, again.err);
    const { code, out } = await cli(['audit', 'verify'], dataDir);
    assert.equal(code, 0);
    assert.match(out, /^ok: 4 rows \(head [0-9a-f]{64}\)$/);
    const store = await createStore({ kind: 'sqlite', file });
    try {
      const entries = await store.auditLog.list({});
      assert.deepEqual(entries.map((entry) => entry.action).reverse(), [
        'user.create',
        'workspace.create',
        'member.create',
        'server.create',
      ]);
      assert.ok(
        entries.every((entry) => entry.source === 'config' && entry.actorKind === 'config'),
      );
      assert.match(entries[0]!.actorId ?? '', /config-\d+\.yaml$/);
    } finally {
      await store.close();
    }
  });

  it('verify exits 1 naming the first edited row and why', async () => {
    const { dataDir, file } = await applied();
    const db = new BetterSqlite3(file);
    db.prepare(`update audit_log set before_json = '{"name":"forged"}' where seq = 2`).run();
    db.close();
    const { code, err } = await cli(['audit', 'verify'], dataDir);
    assert.equal(code, 1);
    assert.match(err, /row 2 fails: its content does not match its hash \(the entry was edited\)/);
  });

  it('verify exits 1 naming the row after a deleted one', async () => {
    const { dataDir, file } = await applied();
    const db = new BetterSqlite3(file);
    db.prepare('delete from audit_log where seq = 2').run();
    db.close();
    const { code, err } = await cli(['audit', 'verify'], dataDir);
    assert.equal(code, 1);
    assert.match(err, /row 3 fails: entry 2 before it is missing/);
  });
});
