import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createSealedBox } from '../../session/sealed-box.ts';
import { createStore } from '../../store/create-store.ts';
import { rotateSecrets, sealLegacySecrets, UnreadableSecretsError } from './reseal-secrets.ts';
import { createVault, isSealedValue } from './vault.ts';

const OLD = 'old-reseal-test-key-0123456789abcdefghijkl';
const NEW = 'new-reseal-test-key-0123456789abcdefghijkl';
const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-reseal-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

/** A store as an earlier version left it: plaintext env and client secret, a sealed-box signing key. */
async function legacyStore() {
  const store = await createStore({ kind: 'sqlite', file: path.join(dir, `s-${++counter}.db`) });
  await store.migrate();
  await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
  await store.servers.upsert({
    workspaceId: 'acme',
    id: 'memory',
    name: 'Memory',
    transport: 'stdio',
    command: 'node',
    env: { TOKEN: 'plain-token' },
    timeoutMs: 1000,
    upstreamAuth: {
      mode: 'headers',
      headers: { Authorization: createVault({ secretKey: OLD }).seal('server-header', 'Bearer x') },
      forwardIdentity: false,
    },
  });
  await store.oauthArtefacts.upsert('Client', 'c1', {
    payload: { client_id: 'c1', client_secret: 'plain-client-secret' },
    clientId: 'c1',
  });
  await store.signingKeys.insert({
    kid: 'es256-1',
    alg: 'ES256',
    sealedJwk: createSealedBox(OLD).seal('signing-key', { kty: 'EC', kid: 'es256-1', d: 'x' }),
  });
  return store;
}

describe('re-sealing stored secrets', () => {
  it('seals what an earlier version stored unsealed, and leaves sealed values alone', async () => {
    const store = await legacyStore();
    const vault = createVault({ secretKey: NEW, previousSecretKeys: [OLD] });
    const before = (await store.servers.find('acme', 'memory'))!.upstreamAuth;
    const tallies = await sealLegacySecrets(store, { vault, legacySecretKeys: [NEW, OLD] });
    assert.deepEqual(
      tallies.map((tally) => [tally.kind, tally.sealed]),
      [
        ['server environment values', 1],
        ['server header values', 0],
        ['member secret values', 0],
        ['OAuth client secrets', 1],
        ['signing keys', 1],
        ['upstream OAuth client secrets', 0],
        ['upstream OAuth registrations', 0],
        ['upstream OAuth tokens', 0],
      ],
    );
    const server = (await store.servers.find('acme', 'memory'))!;
    assert.equal(vault.open('server-env', server.env.TOKEN!), 'plain-token');
    assert.deepEqual(server.upstreamAuth, before);
    const client = await store.oauthArtefacts.find('Client', 'c1');
    assert.equal(
      vault.open('oauth-client-secret', String(client?.payload.client_secret)),
      'plain-client-secret',
    );
    assert.equal(client?.clientId, 'c1');
    const [key] = await store.signingKeys.list();
    assert.deepEqual(JSON.parse(vault.open('signing-key', key!.sealedJwk)), {
      kty: 'EC',
      kid: 'es256-1',
      d: 'x',
    });
    await store.close();
  });

  it('rotation re-seals stale values under the current key and a second run finds them current', async () => {
    const store = await legacyStore();
    const vault = createVault({ secretKey: NEW, previousSecretKeys: [OLD] });
    await rotateSecrets(store, { vault, legacySecretKeys: [NEW, OLD] });
    const server = (await store.servers.find('acme', 'memory'))!;
    assert.equal(server.upstreamAuth.mode, 'headers');
    const header =
      server.upstreamAuth.mode === 'headers' ? server.upstreamAuth.headers.Authorization! : '';
    assert.equal(vault.isStale(header), false);
    assert.equal(vault.open('server-header', header), 'Bearer x');
    const again = await rotateSecrets(store, { vault, legacySecretKeys: [NEW, OLD] });
    assert.ok(again.every((tally) => tally.resealed === 0 && tally.sealed === 0));
    assert.deepEqual(
      again.map((tally) => tally.current),
      [1, 1, 0, 1, 1, 0, 0, 0],
    );
    await store.close();
  });

  it('rotation refuses, changing nothing, when a value opens under none of the keys', async () => {
    const store = await legacyStore();
    const servers = await store.servers.list();
    const vault = createVault({ secretKey: NEW });
    await assert.rejects(
      rotateSecrets(store, { vault, legacySecretKeys: [NEW] }),
      (error: unknown) =>
        error instanceof UnreadableSecretsError &&
        error.where.join(';') === 'server acme/memory header Authorization;signing key es256-1' &&
        !error.message.includes('Bearer x'),
    );
    assert.deepEqual(await store.servers.list(), servers);
    const client = await store.oauthArtefacts.find('Client', 'c1');
    assert.equal(client?.payload.client_secret, 'plain-client-secret');
    assert.ok(!isSealedValue(String(client?.payload.client_secret)));
    await store.close();
  });
});
