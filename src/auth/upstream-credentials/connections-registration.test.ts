/**
 * The gateway's client registrations at an upstream AS (a real oidc-provider
 * fixture with DCR, a real store): client_credentials registrations are one
 * per workspace, since the client IS the upstream principal; authorization
 * code registrations stay one per issuer, the member's consent making the
 * identity.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startOAuthUpstream } from '../../../test/fixtures/oauth-upstream/oauth-upstream.ts';
import type { RunningOAuthUpstream } from '../../../test/fixtures/oauth-upstream/oauth-upstream.ts';
import { createStore } from '../../store/create-store.ts';
import type { ServerDefinition, UpstreamOAuthSettings } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';
import { createUpstreamOAuthClient } from '../upstream-oauth/upstream-oauth-client.ts';
import type { UpstreamOAuthClient } from '../upstream-oauth/upstream-oauth-client.ts';
import { createConnectionsContext } from './connections-context.ts';
import type { ConnectionsContext } from './connections-context.ts';
import { createVault } from './vault.ts';

const PUBLIC_URL = 'http://127.0.0.1:9';
const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-registrations-'));
const vault = createVault({ secretKey: 'connections-registration-test-key-0123456789' });
let upstream: RunningOAuthUpstream;
let store: Store;
let oauthClient: UpstreamOAuthClient;

const context = (): ConnectionsContext =>
  createConnectionsContext({ store, vault, oauthClient, publicUrl: PUBLIC_URL });

async function server(
  workspaceId: string,
  id: string,
  grant: UpstreamOAuthSettings['grant'],
): Promise<ServerDefinition> {
  await store.workspaces.upsert({ id: workspaceId, name: workspaceId });
  return store.servers.upsert({
    workspaceId,
    id,
    name: id,
    transport: 'http',
    url: upstream.mcpUrl,
    timeoutMs: 10_000,
    upstreamAuth: {
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
    },
  });
}

/** The client id the gateway uses for `server`, registering it when needed. */
async function clientIdOf(target: ServerDefinition, ctx = context()): Promise<string> {
  const discovery = await ctx.discover(target);
  return (await ctx.registration(target, discovery)).clientId;
}

before(async () => {
  upstream = await startOAuthUpstream();
  store = await createStore({ kind: 'sqlite', file: path.join(dir, 'store.db') });
  await store.migrate();
  oauthClient = createUpstreamOAuthClient({ publicUrl: PUBLIC_URL, allowPrivate: ['127.0.0.0/8'] });
});
after(async () => {
  await oauthClient?.close();
  await store?.close();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('upstream client registrations', () => {
  it('client_credentials: two workspaces at one issuer get their own client, and their own upstream principal', async () => {
    const acme = await server('acme', 'robot', 'client_credentials');
    const globex = await server('globex', 'robot', 'client_credentials');
    const acmeClient = await clientIdOf(acme);
    const globexClient = await clientIdOf(globex);
    assert.notEqual(acmeClient, globexClient);
    // Stored: the next instance (a new context) finds each workspace's own client again.
    assert.equal(await clientIdOf(acme), acmeClient);
    assert.equal(await clientIdOf(globex), globexClient);

    const tokens = async (target: ServerDefinition) => {
      const ctx = context();
      const discovery = await ctx.discover(target);
      const registration = await ctx.registration(target, discovery);
      return ctx.oauthClient.clientCredentials(discovery.metadata, registration, {
        resource: discovery.resource,
      });
    };
    const [acmeToken, globexToken] = await Promise.all([tokens(acme), tokens(globex)]);
    const subject = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).sub as string;
    assert.notEqual(subject(acmeToken.accessToken), subject(globexToken.accessToken));
  });

  it('client_credentials: servers of one workspace at one issuer share its client', async () => {
    const first = await server('initech', 'robot', 'client_credentials');
    const second = await server('initech', 'robot-2', 'client_credentials');
    assert.equal(await clientIdOf(first), await clientIdOf(second));
  });

  it('client_credentials: concurrent first uses in two workspaces register one client each', async () => {
    const a = await server('umbrella', 'robot', 'client_credentials');
    const b = await server('hooli', 'robot', 'client_credentials');
    const ctx = context();
    const ids = await Promise.all([clientIdOf(a, ctx), clientIdOf(b, ctx), clientIdOf(a, ctx)]);
    assert.equal(ids[0], ids[2]);
    assert.notEqual(ids[0], ids[1]);
  });

  it('client_credentials: a client registered for every workspace before this fix is not used', async () => {
    const target = await server('legacy-ws', 'robot', 'client_credentials');
    const discovery = await context().discover(target);
    await store.upstreamClients.save({
      issuer: discovery.issuer,
      redirectUri: 'urn:portcullis:client_credentials',
      clientId: 'shared-by-every-workspace',
      clientSecret: null,
      clientSecretExpiresAt: null,
      method: 'dynamic',
      tokenEndpointAuthMethod: 'client_secret_basic',
    });
    assert.notEqual(await clientIdOf(target), 'shared-by-every-workspace');
  });

  it('authorization code: workspaces at one issuer keep sharing one client', async () => {
    const perUser = await server('acme', 'mine', 'per_user');
    const shared = await server('globex', 'team', 'shared');
    assert.equal(await clientIdOf(perUser), await clientIdOf(shared));
  });
});
