import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { createOidcAdapter } from '../../auth/server/oidc-adapter.ts';
import { createVault } from '../../auth/upstream-credentials/vault.ts';
import { createStore } from '../create-store.ts';
import { dialectCodecs } from '../dialect-codec.ts';
import { hashedOAuthTokenIds } from './0004-hashed-oauth-token-ids.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-0004-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('hashes the ids of bearer-secret artefacts stored before, so they are still found by the id presented', async () => {
  const file = path.join(dir, 'legacy.db');
  const store = await createStore({ kind: 'sqlite', file });
  await store.migrate();
  // Rows as written before this migration: plaintext ids, jti in the payload.
  await store.oauthArtefacts.upsert('RefreshToken', 'refresh-secret', {
    payload: { jti: 'refresh-secret', grantId: 'g1', accountId: 'u1' },
    grantId: 'g1',
  });
  await store.oauthArtefacts.upsert('Grant', 'g1', { payload: { jti: 'g1', accountId: 'u1' } });
  await store.close();

  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(file) }) });
  await hashedOAuthTokenIds(dialectCodecs.sqlite).up(db);
  await db.destroy();

  const migrated = await createStore({ kind: 'sqlite', file });
  assert.equal(await migrated.oauthArtefacts.find('RefreshToken', 'refresh-secret'), undefined);
  const hashed = crypto.createHash('sha256').update('refresh-secret').digest('base64url');
  const row = await migrated.oauthArtefacts.find('RefreshToken', hashed);
  assert.deepEqual(row?.payload, { grantId: 'g1', accountId: 'u1' });
  assert.equal((await migrated.oauthArtefacts.find('Grant', 'g1'))?.payload.jti, 'g1');
  const adapter = createOidcAdapter({
    store: migrated,
    vault: createVault({ secretKey: 'migration-test-key-0123456789abcdef' }),
  })('RefreshToken');
  assert.equal((await adapter.find('refresh-secret'))?.jti, 'refresh-secret');
  await migrated.close();
});
