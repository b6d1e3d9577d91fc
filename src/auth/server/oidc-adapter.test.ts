import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createSealedBox } from '../../session/sealed-box.ts';
import { createStore } from '../../store/create-store.ts';
import { createVault, isSealedValue } from '../upstream-credentials/vault.ts';
import { createOidcAdapter, extractArtefactColumns, storedArtefactId } from './oidc-adapter.ts';
import { loadSigningKeys } from './signing-keys.ts';

const KEY = 'k'.repeat(32);
const vault = createVault({ secretKey: KEY });

const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-as-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

async function freshStore() {
  const store = await createStore({ kind: 'sqlite', file: path.join(dir, `s-${++counter}.db`) });
  await store.migrate();
  return store;
}

describe('oidc adapter', () => {
  it('extracts the indexed columns of a token payload', () => {
    const columns = extractArtefactColumns(
      'RefreshToken',
      { grantId: 'g1', accountId: 'u1', clientId: 'c1', uid: 'x', jti: 'j' },
      60,
      1_000_000,
    );
    assert.equal(columns.grantId, 'g1');
    assert.equal(columns.accountId, 'u1');
    assert.equal(columns.clientId, 'c1');
    assert.equal(columns.uid, 'x');
    assert.equal(columns.userCode, null);
    assert.equal(columns.expiresAt?.getTime(), 1_060_000);
  });

  it('reads the client id of client metadata from client_id and leaves expiry open without a TTL', () => {
    const columns = extractArtefactColumns('Client', { client_id: 'abc' }, undefined, 0);
    assert.equal(columns.clientId, 'abc');
    assert.equal(columns.expiresAt, null);
  });

  it('ignores non-string or empty identifiers', () => {
    const columns = extractArtefactColumns('Session', { accountId: 7, uid: '' }, 1, 0);
    assert.equal(columns.accountId, null);
    assert.equal(columns.uid, null);
  });

  it('stores, finds by uid, marks consumed, hides expired and revokes by grant', async () => {
    const store = await freshStore();
    let time = Date.now();
    const revoked: string[] = [];
    const factory = createOidcAdapter({
      store,
      vault,
      now: () => time,
      onGrantRevoked: (grantId) => revoked.push(grantId),
    });
    const codes = factory('AuthorizationCode');
    const sessions = factory('Session');
    await codes.upsert('code-1', { jti: 'code-1', grantId: 'g1', clientId: 'c' }, 60);
    await sessions.upsert('s-1', { uid: 'uid-1', accountId: 'u' }, 60);
    assert.equal((await codes.find('code-1'))?.grantId, 'g1');
    assert.equal((await sessions.findByUid('uid-1'))?.accountId, 'u');
    assert.equal(await codes.find('missing'), undefined);

    await codes.consume('code-1');
    assert.equal(typeof (await codes.find('code-1'))?.consumed, 'number');

    await codes.revokeByGrantId('g1');
    assert.equal(await codes.find('code-1'), undefined);
    assert.deepEqual(revoked, ['g1']);

    time += 61_000;
    assert.equal(await sessions.findByUid('uid-1'), undefined);
    await store.close();
  });

  it('stores bearer-secret ids only hashed and without jti, and gives jti back on find', async () => {
    const store = await freshStore();
    const factory = createOidcAdapter({ store, vault });
    for (const model of ['RefreshToken', 'AuthorizationCode', 'Session', 'Interaction']) {
      const adapter = factory(model);
      const id = `${model}-secret-id`;
      await adapter.upsert(id, { jti: id, uid: `${model}-uid`, grantId: 'g1', accountId: 'u' }, 60);
      assert.equal(await store.oauthArtefacts.find(model, id), undefined);
      const raw = await store.oauthArtefacts.find(model, storedArtefactId(model, id));
      assert.ok(raw);
      assert.ok(!JSON.stringify(raw).includes(id), `${model} row holds its id`);
      assert.equal((await adapter.find(id))?.jti, id);
      assert.equal((await adapter.findByUid(`${model}-uid`))?.accountId, 'u');
      await adapter.consume(id);
      assert.equal(typeof (await adapter.find(id))?.consumed, 'number');
      await adapter.destroy(id);
      assert.equal(await adapter.find(id), undefined);
    }
    await store.close();
  });

  it('keeps Grant and Client ids as they are, for lookups by id elsewhere', async () => {
    const store = await freshStore();
    const factory = createOidcAdapter({ store, vault });
    await factory('Grant').upsert('grant-1', { jti: 'grant-1', accountId: 'u', clientId: 'c' }, 60);
    await factory('Client').upsert('client-1', { client_id: 'client-1' });
    assert.equal((await store.oauthArtefacts.find('Grant', 'grant-1'))?.payload.jti, 'grant-1');
    assert.ok(await store.oauthArtefacts.find('Client', 'client-1'));
    await store.close();
  });

  it('seals a client secret at rest and gives it back in plaintext', async () => {
    const store = await freshStore();
    const clients = createOidcAdapter({ store, vault })('Client');
    await clients.upsert('c1', { client_id: 'c1', client_secret: 'very-secret-value' });
    const stored = (await store.oauthArtefacts.find('Client', 'c1'))?.payload.client_secret;
    assert.equal(typeof stored, 'string');
    assert.ok(isSealedValue(stored as string));
    assert.equal((await clients.find('c1'))?.client_secret, 'very-secret-value');
    await clients.upsert('public', { client_id: 'public' });
    assert.equal((await clients.find('public'))?.client_secret, undefined);
    await store.close();
  });

  it('answers pre-seeded clients from memory and never overwrites them', async () => {
    const store = await freshStore();
    const seeded = new Map([
      ['https://client.example/doc', { client_id: 'https://client.example/doc' }],
    ]);
    const clients = createOidcAdapter({ store, vault, preseededClients: seeded })('Client');
    await clients.upsert('https://client.example/doc', {
      client_id: 'https://client.example/doc',
      x: 1,
    });
    assert.deepEqual(await clients.find('https://client.example/doc'), {
      client_id: 'https://client.example/doc',
    });
    assert.equal(
      await store.oauthArtefacts.find('Client', 'https://client.example/doc'),
      undefined,
    );
    await store.close();
  });
});

describe('signing keys', () => {
  it('generates one ES256 key on first start and reloads it afterwards', async () => {
    const store = await freshStore();
    const first = await loadSigningKeys({ store, vault, legacySecretKeys: [KEY] });
    const second = await loadSigningKeys({ store, vault, legacySecretKeys: [KEY] });
    assert.equal(first.signing.length, 1);
    assert.equal(first.signing[0]?.alg, 'ES256');
    assert.equal(first.signing[0]?.kid, second.signing[0]?.kid);
    assert.equal(first.verification[0]?.d, undefined);
    assert.equal(typeof first.signing[0]?.d, 'string');
    await store.close();
  });

  it('two instances starting at once end up with the same key', async () => {
    const store = await freshStore();
    const [a, b] = await Promise.all([
      loadSigningKeys({ store, vault, legacySecretKeys: [KEY] }),
      loadSigningKeys({ store, vault, legacySecretKeys: [KEY] }),
    ]);
    assert.deepEqual(
      a.verification.map((key) => key.kid),
      b.verification.map((key) => key.kid),
    );
    assert.equal((await store.signingKeys.list()).length, 1);
    await store.close();
  });

  it('refuses to start with a different secret key instead of signing with a new key', async () => {
    const store = await freshStore();
    await loadSigningKeys({ store, vault, legacySecretKeys: [KEY] });
    await assert.rejects(
      loadSigningKeys({
        store,
        vault: createVault({ secretKey: 'z'.repeat(32) }),
        legacySecretKeys: ['z'.repeat(32)],
      }),
      /cannot be opened/,
    );
    await store.close();
  });

  it('reads a key sealed in the earlier format once and re-seals it by the vault', async () => {
    const store = await freshStore();
    const first = await loadSigningKeys({ store, vault, legacySecretKeys: [KEY] });
    const jwk = first.signing[0]!;
    await store.signingKeys.reseal(jwk.kid!, createSealedBox(KEY).seal('signing-key', jwk));
    const reread = await loadSigningKeys({ store, vault, legacySecretKeys: [KEY] });
    assert.deepEqual(reread.signing[0], jwk);
    const [stored] = await store.signingKeys.list();
    assert.ok(isSealedValue(stored!.sealedJwk));
    assert.equal(vault.isStale(stored!.sealedJwk), false);
    await store.close();
  });
});
