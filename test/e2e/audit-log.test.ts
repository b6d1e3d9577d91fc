/**
 * The audit log on a whole gateway: the config applied at start and changes
 * through the admin API over HTTP are recorded with their actor, no secret
 * reaches a row, and `portcullis audit verify` (the real binary, another
 * process, while the gateway runs) passes, then names a row edited behind
 * the gateway's back.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import { SQLITE_FILE_NAME } from '../../src/store/store-options.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';

const execFileAsync = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '../../bin/portcullis.js');
const HEADER_SECRET = 'Bearer e2e-upstream-header-secret';

interface EntryView {
  seq: number;
  action: string;
  source: string;
  actor: { kind: string; id: string | null; email: string | null; apiKeyId: string | null };
  target: { type: string; id: string };
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

describe('audit log on a running gateway', () => {
  let t: TestGateway;
  const api = async (method: string, url: string, body?: unknown) => {
    const response = await fetch(`${t.url}/api/v1${url}`, {
      method,
      headers: {
        authorization: `Bearer ${t.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? undefined : (JSON.parse(text) as unknown),
    };
  };
  const verify = async () => {
    try {
      const { stdout } = await execFileAsync(process.execPath, [BIN, 'audit', 'verify'], {
        env: { ...process.env, PORTCULLIS_DATA_DIR: t.dataDir, PORTCULLIS_LOG_LEVEL: 'silent' },
      });
      return { code: 0, out: stdout };
    } catch (error) {
      const failed = error as { code: number; stderr: string };
      return { code: failed.code, out: failed.stderr };
    }
  };

  before(async () => {
    t = await startTestGateway({
      servers: [{ id: 'everything', url: 'http://127.0.0.1:9/mcp' }],
    });
  });
  after(() => t.close());

  it('records the config applied at start, by the file', async () => {
    const listed = await api('GET', '/audit?workspace=acme&limit=500');
    assert.equal(listed.status, 200);
    const entries = (listed.body as { entries: EntryView[] }).entries;
    const actions = entries.map((entry) => entry.action).reverse();
    for (const action of ['workspace.create', 'member.create', 'server.create', 'api_key.create'])
      assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
    assert.ok(entries.every((entry) => entry.source === 'config' && entry.actor.kind === 'config'));
    assert.match(entries[0]!.actor.id ?? '', /portcullis\.yaml$/);
  });

  it('records admin API changes over HTTP with the API key as actor, and never a secret', async () => {
    const created = await api('POST', '/workspaces/acme/servers', {
      id: 'notion',
      transport: 'http',
      url: 'https://notion.example.com/mcp',
      upstream_auth: { mode: 'headers', headers: { Authorization: { value: HEADER_SECRET } } },
    });
    assert.equal(created.status, 201);
    assert.equal((await api('DELETE', '/workspaces/acme/servers/notion')).status, 204);
    const listed = await api('GET', '/audit?targetType=server&targetId=notion');
    // The key's user is no instance administrator: the whole log is refused, the workspace's is not.
    assert.equal(listed.status, 403);
    const scoped = await api('GET', '/audit?workspace=acme&targetType=server&targetId=notion');
    const entries = (scoped.body as { entries: EntryView[] }).entries;
    assert.deepEqual(
      entries.map((entry) => entry.action),
      ['server.delete', 'server.create'],
    );
    for (const entry of entries) {
      assert.equal(entry.actor.kind, 'api_key');
      assert.equal(entry.actor.email, 'admin@acme.test');
      assert.ok(entry.actor.apiKeyId);
      assert.equal(entry.source, 'api');
    }
    const db = new BetterSqlite3(path.join(t.dataDir, SQLITE_FILE_NAME), { readonly: true });
    const dump = JSON.stringify(db.prepare('select * from audit_log').all());
    db.close();
    assert.ok(!dump.includes(HEADER_SECRET.slice(7)));
    assert.ok(!dump.includes(t.apiKey));
    assert.ok(!dump.includes('pcv1.'));
    assert.ok(!JSON.stringify(scoped.body).includes(HEADER_SECRET.slice(7)));
  });

  it('portcullis audit verify passes while the gateway runs, then names a row edited behind its back', async () => {
    const intact = await verify();
    assert.equal(intact.code, 0, intact.out);
    assert.match(intact.out, /^ok: \d+ rows \(head [0-9a-f]{64}\)\n$/);
    const db = new BetterSqlite3(path.join(t.dataDir, SQLITE_FILE_NAME));
    db.prepare(
      `update audit_log set after_json = '{"url":"https://evil.example"}' where seq = 3`,
    ).run();
    db.close();
    // The gateway keeps appending after the edit; the edited row stays the one named.
    assert.equal(
      (
        await api('POST', '/workspaces/acme/servers', {
          id: 'later',
          transport: 'http',
          url: 'https://later.example.com/mcp',
        })
      ).status,
      201,
    );
    const tampered = await verify();
    assert.equal(tampered.code, 1);
    assert.match(tampered.out, /row 3 fails: its content does not match its hash/);
  });
});
