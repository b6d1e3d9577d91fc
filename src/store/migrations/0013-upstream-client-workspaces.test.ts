import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { createStore } from '../create-store.ts';
import { dialectCodecs } from '../dialect-codec.ts';
import type { UpstreamAuth } from '../model.ts';
import { migrationProvider } from './migration-provider.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-0013-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const oauth = (grant: 'per_user' | 'client_credentials'): UpstreamAuth => ({
  mode: 'oauth',
  forwardIdentity: false,
  oauth: {
    grant,
    clientId: null,
    clientSecret: null,
    scopes: [],
    omitResource: false,
    authorizeParams: {},
  },
});

async function migrate(file: string, to?: string): Promise<void> {
  const database = new Database(file);
  database.pragma('foreign_keys = ON');
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) });
  const migrator = new Migrator({
    db,
    provider: migrationProvider(dialectCodecs.sqlite),
    migrationTableName: 'portcullis_migration',
    migrationLockTableName: 'portcullis_migration_lock',
  });
  const { error } =
    to === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(to);
  await db.destroy();
  if (error !== undefined) throw new Error('migration failed', { cause: error });
}

it('drops the client_credentials registration every workspace shared, and the workspace tokens it gave', async () => {
  const file = path.join(dir, 'before.db');
  await migrate(file, '0012-request-records-lean-indexes');
  const store = await createStore({ kind: 'sqlite', file });
  await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
  const user = await store.users.upsert({ email: 'alice@acme.test' });
  for (const [id, grant] of [
    ['robot', 'client_credentials'],
    ['mine', 'per_user'],
  ] as const)
    await store.servers.upsert({
      workspaceId: 'acme',
      id,
      name: id,
      transport: 'http',
      url: 'https://mcp.example.test/mcp',
      timeoutMs: 10_000,
      upstreamAuth: oauth(grant),
    });
  const token = { issuer: 'https://as.example.test', accessToken: 'sealed', refreshToken: null };
  const connection = { ...token, tokenType: 'Bearer', expiresAt: null, scope: null };
  await store.upstreamConnections.save({
    ...connection,
    workspaceId: 'acme',
    serverId: 'robot',
    ownerId: '',
  });
  await store.upstreamConnections.save({
    ...connection,
    workspaceId: 'acme',
    serverId: 'mine',
    ownerId: user.id,
  });
  await store.close();
  // Rows as the gateway wrote them before: one client_credentials client for every workspace.
  const raw = new Database(file);
  const insert = raw.prepare(
    `INSERT INTO upstream_oauth_clients (issuer, redirect_uri, client_id, client_secret, client_secret_expires_at, method, token_endpoint_auth_method, created_at)
     VALUES (?, ?, ?, NULL, NULL, 'dynamic', 'client_secret_basic', ?)`,
  );
  insert.run('https://as.example.test', 'urn:portcullis:client_credentials', 'shared', Date.now());
  insert.run(
    'https://as.example.test',
    'http://gw.test/oauth/upstream/callback',
    'app',
    Date.now(),
  );
  raw.close();

  await migrate(file);

  const migrated = await createStore({ kind: 'sqlite', file });
  try {
    assert.deepEqual(
      (await migrated.upstreamClients.list()).map((client) => [
        client.clientId,
        client.workspaceId,
      ]),
      [['app', null]],
      'the authorization code registration stays, shared',
    );
    assert.deepEqual(
      (await migrated.upstreamConnections.list('acme')).map((c) => c.serverId),
      ['mine'],
      "the member's own connection stays; the token from the shared client goes",
    );
  } finally {
    await migrated.close();
  }
});
