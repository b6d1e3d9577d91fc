/**
 * The token provider against a real OAuth upstream (test fixture) and a real
 * store: refresh ahead of expiry, one refresh across two "instances" sharing
 * the store, and a revoked grant marked broken.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { startOAuthUpstream } from '../../../test/fixtures/oauth-upstream/oauth-upstream.ts';
import type { RunningOAuthUpstream } from '../../../test/fixtures/oauth-upstream/oauth-upstream.ts';
import { isGatewayError } from '../../shared/errors.ts';
import { createStore } from '../../store/create-store.ts';
import type { ServerDefinition } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';
import { createUpstreamOAuthClient } from '../upstream-oauth/upstream-oauth-client.ts';
import type { UpstreamOAuthClient } from '../upstream-oauth/upstream-oauth-client.ts';
import { createConnections } from './connections.ts';
import type { Connections } from './connections.ts';
import { REFRESH_TOKEN_PURPOSE } from './connections-context.ts';
import { createVault } from './vault.ts';
import { redisUnavailableReason, startTestRedis } from '../../../test/support/redis.ts';
import type { Leases } from '../../shared-state/leases.ts';
import { createSharedState } from '../../shared-state/shared-state.ts';

const PUBLIC_URL = 'http://127.0.0.1:9';
const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-connections-'));
const vault = createVault({ secretKey: 'connections-tokens-test-key-0123456789abcdef' });
let upstream: RunningOAuthUpstream;
let store: Store;
let oauthClient: UpstreamOAuthClient;
let server: ServerDefinition;
let userId: string;

function instance(leases?: Leases): Connections {
  return createConnections({
    ...(leases === undefined ? {} : { leases }),
    store,
    vault,
    oauthClient,
    publicUrl: PUBLIC_URL,
    signIn: { currentSession: async () => undefined },
    logger: pino({ level: 'silent' }),
  });
}

/** Moves the stored expiry so the next call must refresh. */
async function expireSoon(ownerId: string): Promise<void> {
  const connection = await store.upstreamConnections.find('acme', 'mine', ownerId);
  assert.ok(connection);
  await store.upstreamConnections.save({ ...connection, expiresAt: new Date(Date.now() + 5_000) });
}

before(async () => {
  upstream = await startOAuthUpstream({ subjects: ['alice'] });
  store = await createStore({ kind: 'sqlite', file: path.join(dir, 'store.db') });
  await store.migrate();
  oauthClient = createUpstreamOAuthClient({
    publicUrl: PUBLIC_URL,
    allowPrivate: ['127.0.0.0/8'],
  });
  await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
  userId = (await store.users.upsert({ email: 'alice@acme.test' })).id;
  server = await store.servers.upsert({
    workspaceId: 'acme',
    id: 'mine',
    name: 'Mine',
    transport: 'http',
    url: upstream.mcpUrl,
    timeoutMs: 10_000,
    upstreamAuth: {
      mode: 'oauth',
      forwardIdentity: false,
      oauth: {
        grant: 'per_user',
        clientId: null,
        clientSecret: null,
        scopes: [],
        omitResource: false,
        authorizeParams: {},
      },
    },
  });
  const first = instance();
  const authorize = await first.flow.start(server, userId, null);
  const callback = await upstream.approve(authorize, { subject: 'alice' });
  await first.flow.finish(new URL(callback), userId);
});
after(async () => {
  await oauthClient?.close();
  await store?.close();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('connection tokens', () => {
  it('answers from the stored connection while it is fresh', async () => {
    const before = upstream.tokenGrants.refresh_token;
    const token = await instance().tokens.accessTokenFor(server, { userId });
    assert.match(token, /^eyJ/);
    assert.equal(upstream.tokenGrants.refresh_token, before);
  });

  it('refreshes once for concurrent calls on two instances sharing the store', async () => {
    await expireSoon(userId);
    const [a, b] = [instance(), instance()];
    const before = upstream.tokenGrants.refresh_token;
    const tokens = await Promise.all([
      a.tokens.accessTokenFor(server, { userId }),
      b.tokens.accessTokenFor(server, { userId }),
      a.tokens.accessTokenFor(server, { userId }),
      b.tokens.accessTokenFor(server, { userId }),
    ]);
    assert.equal(upstream.tokenGrants.refresh_token - before, 1);
    assert.equal(new Set(tokens).size, 1);
    assert.equal(upstream.tokenErrors.invalid_grant ?? 0, 0);
    const stored = await store.upstreamConnections.find('acme', 'mine', userId);
    assert.ok(stored!.expiresAt!.getTime() > Date.now() + 60_000);
  });

  it(
    'refreshes once for concurrent calls on two instances sharing Redis leases and the store',
    { skip: redisUnavailableReason() },
    async () => {
      const redis = await startTestRedis();
      const quiet = { warn: () => undefined, info: () => undefined };
      const states = [0, 1].map(() => createSharedState({ redisUrl: redis.url, logger: quiet }));
      try {
        await expireSoon(userId);
        const [a, b] = states.map((state) => instance(state.leases)) as [Connections, Connections];
        const before = upstream.tokenGrants.refresh_token;
        const tokens = await Promise.all(
          [a, b, a, b].map((one) => one.tokens.accessTokenFor(server, { userId })),
        );
        assert.equal(upstream.tokenGrants.refresh_token - before, 1);
        assert.equal(new Set(tokens).size, 1);

        // A refresh waits while another instance holds the Redis lease, then goes ahead.
        await expireSoon(userId);
        const held = await states[0]!.leases.acquire(`upstream-token:acme/mine|${userId}`, 10_000);
        assert.ok(held);
        const waiting = instance(states[1]!.leases).tokens.accessTokenFor(server, { userId });
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(upstream.tokenGrants.refresh_token - before, 1, 'not while the lease is held');
        await held();
        assert.match(await waiting, /^eyJ/);
        assert.equal(upstream.tokenGrants.refresh_token - before, 2);

        // Redis gone: the store lease alone still allows one refresh.
        await redis.kill();
        await expireSoon(userId);
        const [c, d] = states.map((state) => instance(state.leases)) as [Connections, Connections];
        const again = await Promise.all(
          [c, d, c, d].map((one) => one.tokens.accessTokenFor(server, { userId })),
        );
        assert.equal(upstream.tokenGrants.refresh_token - before, 3);
        assert.equal(new Set(again).size, 1);
        assert.equal(upstream.tokenErrors.invalid_grant ?? 0, 0);
      } finally {
        await Promise.all(states.map((state) => state.close()));
        await redis.close();
      }
    },
  );

  it('gives a fresh token when the upstream refused the current one', async () => {
    const tokens = instance().tokens;
    const current = await tokens.accessTokenFor(server, { userId });
    const before = upstream.tokenGrants.refresh_token;
    const fresh = await tokens.accessTokenFor(server, { userId }, { rejected: current });
    assert.notEqual(fresh, current);
    assert.equal(upstream.tokenGrants.refresh_token - before, 1);
  });

  it('disconnect revokes the refresh token at the AS, then deletes the connection', async () => {
    const connections = instance();
    const stored = await store.upstreamConnections.find('acme', 'mine', userId);
    const refreshToken = vault.open(REFRESH_TOKEN_PURPOSE, stored!.refreshToken!);
    assert.equal(await connections.flow.disconnect(server, userId), true);
    assert.equal(await store.upstreamConnections.find('acme', 'mine', userId), undefined);
    const discovery = await connections.context.discover(server);
    const registration = await connections.context.registration(server, discovery);
    await assert.rejects(
      oauthClient.refresh(discovery.metadata, registration, refreshToken),
      (error: unknown) => isGatewayError(error) && error.code === 'upstream_grant_invalid',
    );
    assert.equal(await connections.flow.disconnect(server, userId), false);
    // Connected again for the next test.
    const authorize = await connections.flow.start(server, userId, null);
    const callback = await upstream.approve(authorize, { subject: 'alice' });
    await connections.flow.finish(new URL(callback), userId);
  });

  it('marks a revoked grant broken and asks the member to connect again', async () => {
    upstream.revokeAll();
    await expireSoon(userId);
    const tokens = instance().tokens;
    const refused = (error: unknown) =>
      isGatewayError(error) &&
      error.code === 'upstream_connection_required' &&
      error.data?.connect_url === `${PUBLIC_URL}/connections/acme/mine/connect`;
    await assert.rejects(tokens.accessTokenFor(server, { userId }), refused);
    const stored = await store.upstreamConnections.find('acme', 'mine', userId);
    assert.equal(stored?.status, 'broken');
    assert.match(stored?.brokenReason ?? '', /refused the grant/);
    // Broken stays broken: no further refresh attempts.
    const errors = upstream.tokenErrors.invalid_grant;
    await assert.rejects(tokens.accessTokenFor(server, { userId }), refused);
    assert.equal(upstream.tokenErrors.invalid_grant, errors);
  });

  it('asks a member without a connection to connect', async () => {
    await assert.rejects(
      instance().tokens.accessTokenFor(server, { userId: 'someone-else' }),
      (error: unknown) =>
        isGatewayError(error) &&
        error.code === 'upstream_connection_required' &&
        error.data?.connection === 'not connected',
    );
  });
});
