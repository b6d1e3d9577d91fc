import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createStore } from '../../store/create-store.ts';
import {
  ACCESS_TOKEN_PURPOSE,
  REFRESH_TOKEN_PURPOSE,
  REGISTRATION_SECRET_PURPOSE,
} from './connections-context.ts';
import { rotateSecrets } from './reseal-secrets.ts';
import { OAUTH_CLIENT_SECRET_PURPOSE } from './upstream-auth-secrets.ts';
import { createVault } from './vault.ts';

const OLD = 'old-connections-reseal-key-0123456789abcdef';
const NEW = 'new-connections-reseal-key-0123456789abcdef';
const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-connections-reseal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('rotate-key and upstream OAuth', () => {
  it('re-seals client secrets, registrations and tokens, keeping a broken connection broken', async () => {
    const store = await createStore({ kind: 'sqlite', file: path.join(dir, 'store.db') });
    await store.migrate();
    const old = createVault({ secretKey: OLD });
    await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
    await store.servers.upsert({
      workspaceId: 'acme',
      id: 'linear',
      name: 'Linear',
      transport: 'http',
      url: 'https://mcp.linear.test/mcp',
      timeoutMs: 1000,
      upstreamAuth: {
        mode: 'oauth',
        forwardIdentity: false,
        oauth: {
          grant: 'shared',
          clientId: 'gw',
          clientSecret: old.seal(OAUTH_CLIENT_SECRET_PURPOSE, 'admin-secret'),
          scopes: [],
          omitResource: false,
          authorizeParams: {},
        },
      },
    });
    await store.upstreamClients.save({
      issuer: 'https://as.linear.test',
      redirectUri: 'https://gw.test/oauth/upstream/callback',
      clientId: 'dcr-client',
      clientSecret: old.seal(REGISTRATION_SECRET_PURPOSE, 'dcr-secret'),
      clientSecretExpiresAt: null,
      method: 'dynamic',
      tokenEndpointAuthMethod: 'client_secret_basic',
    });
    await store.upstreamConnections.save({
      workspaceId: 'acme',
      serverId: 'linear',
      ownerId: '',
      issuer: 'https://as.linear.test',
      accessToken: old.seal(ACCESS_TOKEN_PURPOSE, 'access-1'),
      refreshToken: old.seal(REFRESH_TOKEN_PURPOSE, 'refresh-1'),
      tokenType: 'Bearer',
      expiresAt: null,
      scope: null,
    });
    await store.upstreamConnections.markBroken('acme', 'linear', '', 'invalid_grant', new Date());

    const vault = createVault({ secretKey: NEW, previousSecretKeys: [OLD] });
    const tallies = await rotateSecrets(store, { vault, legacySecretKeys: [NEW, OLD] });
    const resealed = Object.fromEntries(tallies.map((t) => [t.kind, t.resealed]));
    assert.equal(resealed['upstream OAuth client secrets'], 1);
    assert.equal(resealed['upstream OAuth registrations'], 1);
    assert.equal(resealed['upstream OAuth tokens'], 2);

    const fresh = createVault({ secretKey: NEW });
    const server = await store.servers.find('acme', 'linear');
    assert.equal(server?.upstreamAuth.mode, 'oauth');
    if (server?.upstreamAuth.mode === 'oauth')
      assert.equal(
        fresh.open(OAUTH_CLIENT_SECRET_PURPOSE, server.upstreamAuth.oauth.clientSecret!),
        'admin-secret',
      );
    const [client] = await store.upstreamClients.list();
    assert.equal(fresh.open(REGISTRATION_SECRET_PURPOSE, client!.clientSecret!), 'dcr-secret');
    const connection = await store.upstreamConnections.find('acme', 'linear', '');
    assert.equal(fresh.open(ACCESS_TOKEN_PURPOSE, connection!.accessToken), 'access-1');
    assert.equal(fresh.open(REFRESH_TOKEN_PURPOSE, connection!.refreshToken!), 'refresh-1');
    assert.equal(connection?.status, 'broken');
    assert.equal(connection?.brokenReason, 'invalid_grant');

    const again = await rotateSecrets(store, { vault, legacySecretKeys: [NEW, OLD] });
    assert.ok(again.every((t) => t.resealed === 0 && t.sealed === 0));
    await store.close();
  });
});
