import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { postgresUnavailableReason, startPostgres } from '../../test/support/postgres.ts';
import type { RunningPostgres } from '../../test/support/postgres.ts';
import { createVault } from '../auth/upstream-credentials/vault.ts';
import { createStore } from '../store/create-store.ts';
import type { Store } from '../store/store.ts';
import { auditEntryHash } from './audit-hash.ts';
import { createAuditLog } from './audit-log.ts';
import { newAccountContext } from './audit-context.ts';
import type { AuditContext } from './audit-context.ts';
import { SECRET_MASK } from './mask-secrets.ts';

const execFileAsync = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-audit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

const alice: AuditContext = {
  actor: { kind: 'user', id: 'u-alice', email: 'alice@acme.test' },
  source: 'api',
  requestId: 'req-1',
};

interface Opened {
  store: Store;
  /** Runs raw SQL behind the store's back, as someone with database access would. */
  exec: (sqlite: string, postgres: string, params?: unknown[]) => Promise<void>;
}

interface Dialect {
  name: string;
  skip?: string;
  open(t: TestContext): Promise<Opened>;
}

function sqliteFile(): string {
  return path.join(dir, `audit-${++counter}.db`);
}

const sqlite: Dialect = {
  name: 'SQLite',
  async open(t) {
    const file = sqliteFile();
    const store = await createStore({ kind: 'sqlite', file });
    await store.migrate();
    const raw = new BetterSqlite3(file);
    t.after(async () => {
      raw.close();
      await store.close();
    });
    return {
      store,
      exec: async (statement, _postgres, params = []) => {
        raw.prepare(statement).run(...params);
      },
    };
  },
};

let postgres: RunningPostgres | undefined;
const unavailable = postgresUnavailableReason();
const postgresDialect: Dialect = {
  name: 'PostgreSQL',
  ...(unavailable === undefined ? {} : { skip: unavailable }),
  async open(t) {
    postgres ??= await startPostgres();
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    const name = `audit_${++counter}`;
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(postgres.url);
    url.pathname = `/${name}`;
    const store = await createStore({ kind: 'postgres', url: url.toString(), poolSize: 4 });
    await store.migrate();
    const raw = new pg.Client({ connectionString: url.toString() });
    await raw.connect();
    t.after(async () => {
      await raw.end();
      await store.close();
    });
    return {
      store,
      exec: async (_sqlite, statement, params = []) => {
        await raw.query(statement, params);
      },
    };
  },
};
after(async () => {
  await postgres?.stop();
});

async function fiveEntries(store: Store) {
  const log = createAuditLog({ store });
  await log.actingAs(alice, async () => {
    for (let i = 1; i <= 5; i++)
      await log.record({
        action: 'server.update',
        target: { type: 'server', id: `s${i}`, workspaceId: 'acme' },
        before: { timeoutMs: i },
        after: { timeoutMs: i + 1 },
      });
  });
  return log;
}

for (const dialect of [sqlite, postgresDialect]) {
  describe(`audit verify on ${dialect.name}`, { skip: dialect.skip }, () => {
    it('an intact log verifies and reports its rows and head hash', async (t) => {
      const { store } = await dialect.open(t);
      assert.deepEqual(await createAuditLog({ store }).verify(), {
        ok: true,
        rows: 0,
        headHash: '0'.repeat(64),
      });
      const log = await fiveEntries(store);
      const [last] = await store.auditLog.list({ limit: 1 });
      assert.deepEqual(await log.verify(), { ok: true, rows: 5, headHash: last!.hash });
    });

    it('concurrent audited transactions touching the same rows keep one chain, without deadlock', async (t) => {
      const { store } = await dialect.open(t);
      const log = createAuditLog({ store });
      const watched = log.watch(store, alice);
      await watched.workspaces.upsert({ id: 'acme', name: 'Acme' });
      const user = await watched.users.upsert({ email: 'bob@acme.test' });
      await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          watched.transaction(async (tx) => {
            await tx.workspaces.upsert({ id: 'acme', name: `Acme ${i}` });
            await tx.members.upsert({
              workspaceId: 'acme',
              userId: user.id,
              role: i % 2 === 0 ? 'admin' : 'viewer',
              // Distinct per transaction, so no upsert is a no-op (those are not recorded).
              serverIds: [`server-${i}`],
            });
          }),
        ),
      );
      const result = await log.verify();
      assert.equal(result.ok, true);
      assert.deepEqual(result, {
        ok: true,
        rows: 34,
        headHash: (await store.auditLog.head()).hash,
      });
      // A transaction's entries are adjacent: the lock is held from its first audited write.
      const chain = await store.auditLog.listChain(2, 100);
      for (let i = 0; i < chain.length; i += 2)
        assert.deepEqual([chain[i]!.targetType, chain[i + 1]?.targetType], ['workspace', 'member']);
    });

    it('an entry whose before/after was edited in the database fails and is named', async (t) => {
      const { store, exec } = await dialect.open(t);
      const log = await fiveEntries(store);
      await exec(
        `update audit_log set after_json = '{"timeoutMs":999}' where seq = 3`,
        `update audit_log set after_json = '{"timeoutMs":999}' where seq = 3`,
      );
      const result = await log.verify();
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.equal(result.seq, 3);
      assert.equal(result.rows, 2);
      assert.match(result.reason, /edited/);
    });

    it('an entry whose time was edited fails and is named', async (t) => {
      const { store, exec } = await dialect.open(t);
      const log = await fiveEntries(store);
      await exec(
        'update audit_log set time = time + 1000 where seq = 2',
        `update audit_log set time = time + interval '1 second' where seq = 2`,
      );
      const result = await log.verify();
      assert.ok(!result.ok);
      assert.equal(result.seq, 2);
      assert.match(result.reason, /edited/);
    });

    it('an entry edited and re-hashed breaks the link to the next one, which is named', async (t) => {
      const { store, exec } = await dialect.open(t);
      const log = await fiveEntries(store);
      const [third] = await store.auditLog.listChain(2, 1);
      const { hash: _old, ...rest } = third!;
      const forged = auditEntryHash({ ...rest, after: { timeoutMs: 999 } });
      await exec(
        `update audit_log set after_json = '{"timeoutMs":999}', hash = ? where seq = 3`,
        `update audit_log set after_json = '{"timeoutMs":999}', hash = $1 where seq = 3`,
        [forged],
      );
      const result = await log.verify();
      assert.ok(!result.ok);
      assert.equal(result.seq, 4);
      assert.match(result.reason, /previous hash does not match entry 3/);
    });

    it('a deleted entry fails verification naming the entry after the gap', async (t) => {
      const { store, exec } = await dialect.open(t);
      const log = await fiveEntries(store);
      await exec('delete from audit_log where seq = 3', 'delete from audit_log where seq = 3');
      const result = await log.verify();
      assert.ok(!result.ok);
      assert.equal(result.seq, 4);
      assert.match(result.reason, /entry 3 before it is missing/);
    });

    it('deleting the last entries fails verification against the head', async (t) => {
      const { store, exec } = await dialect.open(t);
      const log = await fiveEntries(store);
      await exec('delete from audit_log where seq >= 4', 'delete from audit_log where seq >= 4');
      const result = await log.verify();
      assert.ok(!result.ok);
      assert.equal(result.seq, 5);
      assert.match(result.reason, /ends at entry 3 .* head records entry 5/);
    });
  });
}

describe('audited store', () => {
  const vault = createVault({ secretKey: 'audited-store-test-key-of-enough-length' });

  async function open(t: TestContext) {
    const file = sqliteFile();
    const store = await createStore({ kind: 'sqlite', file });
    await store.migrate();
    t.after(() => store.close());
    return { store, file, log: createAuditLog({ store }) };
  }

  it('records create, update and delete with the state before and after, the actor and the workspace', async (t) => {
    const { store, log } = await open(t);
    const watched = log.watch(store);
    await log.actingAs({ ...alice, workspaceId: 'acme' }, async () => {
      await watched.workspaces.upsert({ id: 'acme', name: 'Acme' });
      await watched.workspaces.upsert({ id: 'acme', name: 'Acme Inc' });
      await watched.workspaces.remove('acme');
    });
    const entries = (await log.list({})).reverse();
    assert.deepEqual(
      entries.map((e) => [e.action, e.targetType, e.targetId, e.workspaceId]),
      [
        ['workspace.create', 'workspace', 'acme', 'acme'],
        ['workspace.update', 'workspace', 'acme', 'acme'],
        ['workspace.delete', 'workspace', 'acme', 'acme'],
      ],
    );
    assert.equal(entries[0]!.before, null);
    assert.equal((entries[0]!.after as { name: string }).name, 'Acme');
    assert.equal((entries[1]!.before as { name: string }).name, 'Acme');
    assert.equal((entries[1]!.after as { name: string }).name, 'Acme Inc');
    assert.equal(entries[2]!.after, null);
    for (const entry of entries) {
      assert.equal(entry.actorKind, 'user');
      assert.equal(entry.actorId, 'u-alice');
      assert.equal(entry.actorEmail, 'alice@acme.test');
      assert.equal(entry.source, 'api');
      assert.equal(entry.requestId, 'req-1');
    }
    assert.equal((await log.verify()).ok, true);
  });

  it('writes that change nothing, and reads, record nothing', async (t) => {
    const { store, log } = await open(t);
    const watched = log.watch(store, alice);
    await watched.workspaces.upsert({ id: 'acme', name: 'Acme' });
    await watched.workspaces.upsert({ id: 'acme', name: 'Acme' });
    await watched.workspaces.remove('nope');
    await watched.apiKeys.revoke('no-such-key', new Date());
    await watched.workspaces.list();
    assert.equal((await log.list({})).length, 1);
  });

  it('a transaction that fails keeps neither its changes nor their entries', async (t) => {
    const { store, log } = await open(t);
    const watched = log.watch(store, alice);
    await assert.rejects(
      watched.transaction(async (tx) => {
        await tx.workspaces.upsert({ id: 'acme', name: 'Acme' });
        throw new Error('refused');
      }),
      /refused/,
    );
    assert.equal(await store.workspaces.find('acme'), undefined);
    assert.deepEqual(await log.list({}), []);
    assert.deepEqual(await store.auditLog.head(), { seq: 0, hash: '0'.repeat(64) });
  });

  it('a watched store without an actor records the system; a given context wins over actingAs', async (t) => {
    const { store, log } = await open(t);
    await log.watch(store).workspaces.upsert({ id: 'a', name: 'A' });
    const file: AuditContext = {
      actor: { kind: 'config', id: 'portcullis.yaml', email: null },
      source: 'config',
    };
    await log.actingAs(alice, () =>
      log.watch(store, file).workspaces.upsert({ id: 'b', name: 'B' }),
    );
    const [second, first] = await log.list({});
    assert.equal(first!.actorKind, 'system');
    assert.equal(first!.actorId, null);
    assert.equal(second!.actorKind, 'config');
    assert.equal(second!.actorId, 'portcullis.yaml');
    assert.equal(second!.source, 'config');
  });

  it('a person creating their own account is the actor of its creation and of what follows', async (t) => {
    const { store, log } = await open(t);
    const watched = log.watch(store);
    await log.actingAs(newAccountContext('Nia@Acme.test'), async () => {
      await watched.workspaces.upsert({ id: 'early', name: 'Before the account' });
      const nia = await watched.users.upsert({ email: 'nia@acme.test' });
      await watched.members.upsert({ workspaceId: 'early', userId: nia.id, role: 'owner' });
    });
    const nia = await store.users.findByEmail('nia@acme.test');
    assert.deepEqual(
      (await log.list({})).reverse().map((e) => [e.action, e.actorKind, e.actorId]),
      [
        // No account yet: the email names the person, the id is unknown.
        ['workspace.create', 'user', null],
        ['user.create', 'user', nia!.id],
        ['member.create', 'user', nia!.id],
      ],
    );
  });

  it('never stores a secret: passwords, key hashes, sealed environment and header values are masked', async (t) => {
    const { store, file, log } = await open(t);
    const watched = log.watch(store, alice);
    const sealedEnv = vault.seal('server-env', 'env-plaintext');
    const sealedHeader = vault.seal('upstream-header', 'header-plaintext');
    await watched.workspaces.upsert({ id: 'acme', name: 'Acme' });
    const user = await watched.users.upsert({
      email: 'bob@acme.test',
      passwordHash: 'scrypt$stored-password-hash',
    });
    await watched.apiKeys.upsert({
      name: 'ci',
      userId: user.id,
      workspaceId: 'acme',
      keyHash: 'stored-key-hash-value',
      prefix: 'pcl_abcd',
    });
    await watched.servers.upsert({
      workspaceId: 'acme',
      id: 'github',
      name: 'GitHub',
      transport: 'http',
      url: 'https://github.example/mcp',
      env: { TOKEN: sealedEnv },
      timeoutMs: 1000,
      upstreamAuth: {
        mode: 'headers',
        headers: { Authorization: sealedHeader },
        forwardIdentity: false,
      },
    });
    await watched.users.upsert({ email: 'bob@acme.test', passwordHash: 'scrypt$new-hash' });
    const raw = new BetterSqlite3(file, { readonly: true });
    const dump = JSON.stringify(raw.prepare('select * from audit_log').all());
    raw.close();
    for (const secret of [
      'stored-password-hash',
      'new-hash',
      'stored-key-hash-value',
      sealedEnv,
      sealedHeader,
      'pcv1.',
    ])
      assert.ok(!dump.includes(secret), `audit rows contain ${secret}`);
    const entries = await log.list({});
    assert.deepEqual(
      entries.map((e) => e.action),
      ['user.update', 'server.create', 'api_key.create', 'user.create', 'workspace.create'],
    );
    // A password change is recorded though both sides read "[secret]".
    const passwordChange = entries[0]!;
    assert.equal((passwordChange.before as { passwordHash: string }).passwordHash, SECRET_MASK);
    const server = entries[1]!.after as {
      env: Record<string, string>;
      upstreamAuth: { headers: Record<string, string> };
    };
    assert.deepEqual(server.env, { TOKEN: SECRET_MASK });
    assert.deepEqual(server.upstreamAuth.headers, { Authorization: SECRET_MASK });
  });

  it('record appends an explicit entry, masked, in the caller transaction', async (t) => {
    const { store, log } = await open(t);
    await assert.rejects(
      store.transaction(async (tx) => {
        await log.record({ action: 'policy.update', target: { type: 'policy', id: 'p' } }, tx);
        throw new Error('rolled back');
      }),
    );
    assert.deepEqual(await log.list({}), []);
    const entry = await log.actingAs({ ...alice, workspaceId: 'acme' }, () =>
      log.record({
        action: 'policy.update',
        target: { type: 'policy', id: 'p' },
        before: { mode: 'allow' },
        after: { mode: 'deny', clientSecret: 'shh' },
      }),
    );
    assert.equal(entry.workspaceId, 'acme');
    assert.deepEqual(entry.after, { mode: 'deny', clientSecret: SECRET_MASK });
    assert.equal(entry.actorId, 'u-alice');
  });

  it('two processes appending to one SQLite file at once keep one chain', async (t) => {
    const { store, file, log } = await open(t);
    // In one process, two better-sqlite3 handles would block each other's
    // thread; instances are separate processes.
    const script = `
      const { createStore } = await import(${JSON.stringify(path.resolve(import.meta.dirname, '../store/create-store.ts'))});
      const { createAuditLog } = await import(${JSON.stringify(path.resolve(import.meta.dirname, 'audit-log.ts'))});
      const store = await createStore({ kind: 'sqlite', file: process.argv[1] });
      const log = createAuditLog({ store });
      const context = { actor: { kind: 'system', id: null, email: null }, source: 'cli' };
      for (let i = 0; i < 15; i++)
        await log.watch(store, context).workspaces.upsert({ id: process.argv[2] + i, name: 'W' });
      await store.close();`;
    const run = (prefix: string) =>
      execFileAsync(process.execPath, ['--input-type=module', '-e', script, file, prefix]);
    await Promise.all([run('a-'), run('b-'), run('c-')]);
    assert.deepEqual(await log.verify(), {
      ok: true,
      rows: 45,
      headHash: (await store.auditLog.head()).hash,
    });
  });
});
