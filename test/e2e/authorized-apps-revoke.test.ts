/**
 * A workspace admin revokes a member's app: the member connects one app
 * (one client ID metadata document, as Claude does) to servers of two
 * workspaces through the real OAuth flow, so one grant covers both. The
 * admin of the first revokes it there: that workspace's access token is
 * refused at once and its refresh token is dead, while the same app's
 * access to the other workspace keeps working. With two instances, a
 * revocation made through one is refused at once by the other.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { request } from 'undici';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { createCookieJar } from '../support/cookie-jar.ts';
import { freePort } from '../support/free-port.ts';
import type { CookieJar } from '../support/cookie-jar.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';
import {
  connectWithOAuth,
  createTestOAuthProvider,
  discoverAuthorizationServer,
  hostClientMetadataDocument,
  jarBrowser,
} from '../support/oauth-client.ts';
import type { HostedClientMetadata } from '../support/oauth-client.ts';
import { postgresUnavailableReason, startPostgres } from '../support/postgres.ts';
import type { RunningPostgres } from '../support/postgres.ts';
import { redisUnavailableReason, startTestRedis } from '../support/redis.ts';
import type { TestRedis } from '../support/redis.ts';

const MEMBER = { email: 'grace@acme.test', password: 'a long enough test password' };
const REDIRECT_URL = 'http://127.0.0.1:47123/callback';

let metadataDocument: HostedClientMetadata;
let upstream: RunningFixtureServer;

before(async () => {
  metadataDocument = await hostClientMetadataDocument((clientId) => ({
    client_id: clientId,
    client_name: 'Claude-like app',
    redirect_uris: [REDIRECT_URL],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  }));
  upstream = await startFixtureServer({ era: 'dual' });
});
after(async () => {
  await upstream?.close();
  await metadataDocument?.close();
});

function startGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  return startTestGateway({
    servers: [{ id: 'fixture', url: upstream.url }],
    users: [{ ...MEMBER, role: 'member' }],
    otherWorkspaces: ['beta'],
    env: { PORTCULLIS_OAUTH_FETCH_ALLOW_PRIVATE: '127.0.0.0/8', ...env },
  });
}

/** The app connects to `endpoint` as the member (sign-in and consent in the jar's browser). */
async function connectApp(endpoint: string, jar: CookieJar) {
  const provider = createTestOAuthProvider({
    redirectUrl: REDIRECT_URL,
    clientMetadataUrl: metadataDocument.url,
    browser: jarBrowser(jar, MEMBER),
  });
  const { client } = await connectWithOAuth(endpoint, provider, 'legacy');
  await client.listTools();
  await client.close();
  return provider.storedTokens()!;
}

const initialize = (endpoint: string, accessToken: string) =>
  mcpPost(endpoint, initializeBody(), { authorization: `Bearer ${accessToken}` });

async function adminApi(
  gateway: TestGateway,
  method: 'GET' | 'DELETE',
  path: string,
  apiKey = gateway.apiKey,
) {
  const response = await request(`${gateway.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}` },
  });
  const text = await response.body.text();
  return { status: response.statusCode, json: text === '' ? undefined : JSON.parse(text) };
}

describe("a workspace admin revokes a member's app", () => {
  let gateway: TestGateway;

  before(async () => {
    gateway = await startGateway();
  });
  after(async () => {
    await gateway?.close();
  });

  it("cuts the app's access to this workspace only, at once, audited", async () => {
    const jar = createCookieJar();
    const acmeEndpoint = gateway.endpoint('fixture', 'acme');
    const betaEndpoint = gateway.endpoint('fixture', 'beta');
    const acme = await connectApp(acmeEndpoint, jar);
    const beta = await connectApp(betaEndpoint, jar);
    const grantId = String(decodeJwt(acme.access_token).gid);
    assert.equal(decodeJwt(beta.access_token).gid, grantId, 'one grant covers both workspaces');
    assert.equal((await initialize(acmeEndpoint, acme.access_token)).status, 200);

    const listed = await adminApi(gateway, 'GET', '/workspaces/acme/authorized-apps');
    const app = (listed.json as { grantId: string; resources: { resource: string }[] }[]).find(
      (entry) => entry.grantId === grantId,
    );
    assert.deepEqual(
      app?.resources.map((entry) => entry.resource),
      [acmeEndpoint],
      "the acme admin sees only acme's resources",
    );

    const revoked = await adminApi(
      gateway,
      'DELETE',
      `/workspaces/acme/authorized-apps/${grantId}`,
    );
    assert.equal(revoked.status, 204);

    const refused = await initialize(acmeEndpoint, acme.access_token);
    assert.equal(refused.status, 401);
    assert.match(String(refused.headers['www-authenticate']), /^Bearer /);
    assert.equal((await initialize(betaEndpoint, beta.access_token)).status, 200);

    const as = await discoverAuthorizationServer(gateway.url);
    const refresh = (tokens: typeof acme, resource: string) =>
      as.token({
        grant_type: 'refresh_token',
        client_id: metadataDocument.url,
        refresh_token: tokens.refresh_token!,
        resource,
      });
    assert.equal((await refresh(acme, acmeEndpoint)).body.error, 'invalid_grant');
    const renewed = await refresh(beta, betaEndpoint);
    assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
    assert.equal((await initialize(betaEndpoint, String(renewed.body.access_token))).status, 200);

    const audit = await adminApi(gateway, 'GET', `/audit?workspace=acme&targetId=${grantId}`);
    const [entry] = (
      audit.json as {
        entries: { action: string; actor: { email: string }; after: { accountId: string } }[];
      }
    ).entries;
    assert.equal(entry?.action, 'authorized_app.revoke');
    assert.equal(entry?.actor.email, 'admin@acme.test', 'who revoked');
    const members = await adminApi(gateway, 'GET', '/workspaces/acme/members');
    const grace = (members.json as { userId: string; email: string }[]).find(
      (member) => member.email === MEMBER.email,
    );
    assert.equal(entry?.after.accountId, grace?.userId, 'whose app');
  });
});

const unavailable = postgresUnavailableReason() ?? redisUnavailableReason();

describe('a revocation through one instance on another', { skip: unavailable }, () => {
  let postgres: RunningPostgres;
  let redis: TestRedis;
  let a: TestGateway;
  let b: TestGateway;
  // The instances share one store, so one key: the one the config names.
  const apiKey = `pcl_${crypto.randomBytes(32).toString('base64url')}`;

  before(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startTestRedis()]);
    // One public URL for both, as behind a load balancer: clients only ever talk to A here.
    const port = await freePort();
    const env = {
      PORTCULLIS_PUBLIC_URL: `http://127.0.0.1:${port}`,
      PORTCULLIS_DATABASE_URL: postgres.url,
      PORTCULLIS_REDIS_URL: redis.url,
      PORTCULLIS_SECRET_KEY: crypto.randomBytes(32).toString('base64url'),
      TEST_API_KEY: apiKey,
    };
    a = await startGateway({ ...env, PORTCULLIS_PORT: String(port) });
    b = await startGateway(env);
  });
  after(async () => {
    await b?.close();
    await a?.close();
    await redis?.close();
    await postgres?.stop();
  });

  it('is refused at once by the instance that had the token cached', async () => {
    const jar = createCookieJar();
    const acmeEndpoint = a.endpoint('fixture', 'acme');
    const betaEndpoint = a.endpoint('fixture', 'beta');
    const acme = await connectApp(acmeEndpoint, jar);
    const beta = await connectApp(betaEndpoint, jar);
    const grantId = String(decodeJwt(acme.access_token).gid);
    // Cached on A: without a notice, A would accept it for a few more seconds.
    assert.equal((await initialize(acmeEndpoint, acme.access_token)).status, 200);
    assert.equal((await initialize(betaEndpoint, beta.access_token)).status, 200);

    const revoked = await adminApi(
      b,
      'DELETE',
      `/workspaces/acme/authorized-apps/${grantId}`,
      apiKey,
    );
    assert.equal(revoked.status, 204);

    let status = 200;
    const deadline = Date.now() + 1_000;
    while (status === 200 && Date.now() < deadline) {
      status = (await initialize(acmeEndpoint, acme.access_token)).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(status, 401, 'refused within a second, not at the next re-check');
    assert.equal((await initialize(betaEndpoint, beta.access_token)).status, 200);
  });
});
