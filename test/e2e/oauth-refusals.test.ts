/**
 * What the gateway's authorization server and resource server refuse, each
 * with its specified error, and that a refusal changes nothing: a follow-up
 * that should work still works.
 *
 * Token expiry is not driven here: the shortest access-token lifetime is 60 s
 * and a token cannot be forged without the gateway's signing key, so expiry
 * (fresh and cached tokens) is covered by src/auth/resource/access-tokens.test.ts;
 * revoked grants, which the resource server refuses the same way, are
 * covered below end to end.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { DEFAULT_LOGIN_THROTTLE_LIMITS } from '../../src/auth/sign-in/login-throttle.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { createCookieJar, findForm } from '../support/cookie-jar.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';
import {
  authorizeInBrowser,
  discoverAuthorizationServer,
  hostClientMetadataDocument,
  pkcePair,
} from '../support/oauth-client.ts';
import type { RawAuthorizationServer } from '../support/oauth-client.ts';

const REDIRECT_URI = 'http://127.0.0.1:47321/callback';
const ADA = { email: 'ada@acme.test', password: 'ada has a long password' };
const BOB = { email: 'bob@acme.test', password: 'bob has a long password' };
const EVE = { email: 'eve@acme.test', password: 'eve has a long password' };

type User = { email: string; password: string };

/** 200 for a working token, else the refusal's status and challenge. */
async function useToken(endpoint: string, accessToken: string) {
  const answer = await mcpPost(endpoint, initializeBody(), {
    authorization: `Bearer ${accessToken}`,
  });
  return { status: answer.status, challenge: String(answer.headers['www-authenticate'] ?? '') };
}

describe('OAuth refusals at the gateway', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  let as: RawAuthorizationServer;
  let fixture: string;
  let second: string;

  async function registerClient(): Promise<string> {
    const registered = await as.register({
      // Distinct names: identical public registrations are answered with the same client.
      client_name: `refusals test ${crypto.randomUUID()}`,
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    return String(registered.body.client_id);
  }

  function authorizationParams(clientId: string, resource: string, challenge: string) {
    return {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'mcp offline_access',
      state: crypto.randomUUID(),
      code_challenge: challenge,
      code_challenge_method: 'S256',
      resource,
    };
  }

  /** Authorizes `user` through the forms and resolves to the code and its verifier. */
  async function authorizeCode(user: User, resource: string, jar = createCookieJar()) {
    const clientId = await registerClient();
    const pkce = pkcePair();
    const { location } = await authorizeInBrowser(
      jar,
      as.authorizationUrl(authorizationParams(clientId, resource, pkce.challenge)),
      user,
    );
    const code = new URL(location).searchParams.get('code');
    assert.ok(code, `no code in ${location}`);
    return { clientId, code, verifier: pkce.verifier, jar };
  }

  function exchange(
    grant: { clientId: string; code: string; verifier?: string },
    resource: string,
  ) {
    return as.token({
      grant_type: 'authorization_code',
      code: grant.code,
      redirect_uri: REDIRECT_URI,
      client_id: grant.clientId,
      resource,
      ...(grant.verifier === undefined ? {} : { code_verifier: grant.verifier }),
    });
  }

  async function obtainTokens(user: User, resource: string, jar = createCookieJar()) {
    const grant = await authorizeCode(user, resource, jar);
    const issued = await exchange(grant, resource);
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    return {
      clientId: grant.clientId,
      jar,
      access: String(issued.body.access_token),
      refresh: String(issued.body.refresh_token),
      grantId: String(decodeJwt(String(issued.body.access_token)).gid),
    };
  }

  function refresh(tokens: { clientId: string; refresh: string }, resource: string) {
    return as.token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh,
      client_id: tokens.clientId,
      resource,
    });
  }

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [
        { id: 'fixture', url: upstream.url },
        { id: 'second', url: upstream.url },
      ],
      users: [
        { ...ADA, role: 'member' },
        { ...BOB, role: 'member', servers: ['fixture'] },
        { ...EVE, role: 'member' },
      ],
      otherWorkspaces: ['beta'],
    });
    as = await discoverAuthorizationServer(gateway.url);
    fixture = gateway.endpoint('fixture');
    second = gateway.endpoint('second');
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('refuses a token at another server and at the same server of another workspace (401 invalid_token)', async () => {
    const tokens = await obtainTokens(ADA, fixture);
    const atSecond = await useToken(second, tokens.access);
    assert.equal(atSecond.status, 401);
    assert.match(atSecond.challenge, /error="invalid_token"/);
    // The same server id in another workspace the member also belongs to.
    const elsewhere = await useToken(gateway.endpoint('fixture', 'beta'), tokens.access);
    assert.equal(elsewhere.status, 401);
    assert.match(elsewhere.challenge, /error="invalid_token"/);
    assert.equal((await useToken(fixture, tokens.access)).status, 200);
  });

  it('refuses a replayed code with invalid_grant and revokes what the first exchange issued', async () => {
    const grant = await authorizeCode(ADA, fixture);
    const first = await exchange(grant, fixture);
    assert.equal(first.status, 200);
    const access = String(first.body.access_token);
    assert.equal((await useToken(fixture, access)).status, 200);
    const replay = await exchange(grant, fixture);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
    const afterReplay = await useToken(fixture, access);
    assert.equal(afterReplay.status, 401);
    assert.match(afterReplay.challenge, /error="invalid_token"/);
    const refreshed = await refresh(
      { clientId: grant.clientId, refresh: String(first.body.refresh_token) },
      fixture,
    );
    assert.equal(refreshed.body.error, 'invalid_grant');
  });

  it('requires PKCE S256 at the authorization endpoint', async () => {
    const clientId = await registerClient();
    const jar = createCookieJar();
    const { challenge } = pkcePair();
    for (const [label, params] of [
      ['no challenge', { code_challenge: '', code_challenge_method: '' }],
      ['plain', { code_challenge: challenge, code_challenge_method: 'plain' }],
    ] as const) {
      const query = { ...authorizationParams(clientId, fixture, challenge), ...params };
      const cleaned = Object.fromEntries(Object.entries(query).filter(([, value]) => value !== ''));
      const answer = await jar.get(as.authorizationUrl(cleaned));
      assert.ok(answer.location, `${label}: redirected back to the client`);
      const redirect = new URL(answer.location);
      assert.equal(`${redirect.origin}${redirect.pathname}`, REDIRECT_URI, label);
      assert.equal(redirect.searchParams.get('error'), 'invalid_request', label);
      assert.equal(redirect.searchParams.get('iss'), gateway.url, label);
      assert.equal(redirect.searchParams.get('code'), null, label);
    }
  });

  it('refuses a missing or wrong code_verifier, and the code still works with the right one', async () => {
    const grant = await authorizeCode(ADA, fixture);
    const missing = await exchange({ clientId: grant.clientId, code: grant.code }, fixture);
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error, 'invalid_grant');
    const wrong = await exchange({ ...grant, verifier: pkcePair().verifier }, fixture);
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_grant');
    const right = await exchange(grant, fixture);
    assert.equal(right.status, 200, JSON.stringify(right.body));
  });

  it('refuses an unregistered redirect URI without redirecting, and a changed one at the token endpoint', async () => {
    const clientId = await registerClient();
    const jar = createCookieJar();
    const { challenge } = pkcePair();
    const elsewhere = 'https://attacker.example/callback';
    const answer = await jar.get(
      as.authorizationUrl({
        ...authorizationParams(clientId, fixture, challenge),
        redirect_uri: elsewhere,
      }),
    );
    assert.equal(answer.status, 400);
    assert.equal(answer.location, undefined, 'never redirected to an unregistered URI');
    assert.match(answer.body, /invalid_redirect_uri/);

    const grant = await authorizeCode(ADA, fixture);
    const mismatch = await as.token({
      grant_type: 'authorization_code',
      code: grant.code,
      redirect_uri: 'http://127.0.0.1:47321/other',
      client_id: grant.clientId,
      code_verifier: grant.verifier,
      resource: fixture,
    });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.error, 'invalid_grant');
    assert.equal((await exchange(grant, fixture)).status, 200);
  });

  it('refuses a reused refresh token with invalid_grant and revokes the grant', async () => {
    const tokens = await obtainTokens(ADA, fixture);
    const rotated = await refresh(tokens, fixture);
    assert.equal(rotated.status, 200);
    const reused = await refresh(tokens, fixture);
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error, 'invalid_grant');
    const next = await refresh({ ...tokens, refresh: String(rotated.body.refresh_token) }, fixture);
    assert.equal(next.body.error, 'invalid_grant');
    assert.equal((await useToken(fixture, String(rotated.body.access_token))).status, 401);
  });

  it('revokes the grant when the refresh token is revoked at /revoke', async () => {
    const tokens = await obtainTokens(ADA, fixture);
    const revoked = await as.revoke({
      token: tokens.refresh,
      token_type_hint: 'refresh_token',
      client_id: tokens.clientId,
    });
    assert.equal(revoked.status, 200);
    assert.equal((await refresh(tokens, fixture)).body.error, 'invalid_grant');
    const refused = await useToken(fixture, tokens.access);
    assert.equal(refused.status, 401);
    assert.match(refused.challenge, /error="invalid_token"/);
  });

  it('revokes an authorized app from the account API, and only that one', async () => {
    const jar = createCookieJar();
    const revokedApp = await obtainTokens(ADA, fixture, jar);
    const keptApp = await obtainTokens(ADA, fixture, jar);
    const me = await jar.get(`${gateway.url}/api/v1/me`);
    assert.equal(me.status, 200, me.body);
    const csrf = String((JSON.parse(me.body) as { csrfToken?: string }).csrfToken);
    const refusedWithoutCsrf = await jar.request(
      `${gateway.url}/api/v1/me/authorized-apps/${revokedApp.grantId}`,
      { method: 'DELETE' },
    );
    assert.equal(refusedWithoutCsrf.status, 403);
    assert.equal((await useToken(fixture, revokedApp.access)).status, 200);
    const deleted = await jar.request(
      `${gateway.url}/api/v1/me/authorized-apps/${revokedApp.grantId}`,
      { method: 'DELETE', headers: { 'x-csrf-token': csrf } },
    );
    assert.equal(deleted.status, 204, deleted.body);
    assert.equal((await useToken(fixture, revokedApp.access)).status, 401);
    assert.equal((await refresh(revokedApp, fixture)).body.error, 'invalid_grant');
    assert.equal((await useToken(fixture, keptApp.access)).status, 200);
  });

  it('refuses consent for a server the member cannot reach, and no code is issued', async () => {
    const clientId = await registerClient();
    const { challenge } = pkcePair();
    const url = as.authorizationUrl(authorizationParams(clientId, second, challenge));
    await assert.rejects(authorizeInBrowser(createCookieJar(), url, BOB), /no access/);
    const denied = await authorizeInBrowser(createCookieJar(), url, { ...BOB, approve: false });
    const redirect = new URL(denied.location);
    assert.equal(redirect.searchParams.get('error'), 'access_denied');
    assert.equal(redirect.searchParams.get('code'), null);
    // Still allowed where the member has access.
    assert.equal((await obtainTokens(BOB, fixture)).access.length > 0, true);
  });

  it('refuses a token at the endpoint once the member loses access to the server (403)', async () => {
    const tokens = await obtainTokens(BOB, fixture);
    assert.equal((await useToken(fixture, tokens.access)).status, 200);
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${gateway.url}/api/v1${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${gateway.apiKey}`,
          'content-type': 'application/json',
        },
      });
    const members = (await (await api('/workspaces/acme/members')).json()) as {
      userId: string;
      email?: string;
      user?: { email: string };
    }[];
    const bob = members.find((member) => (member.email ?? member.user?.email) === BOB.email);
    assert.ok(bob, JSON.stringify(members));
    const narrowed = await api(`/workspaces/acme/members/${bob.userId}`, {
      method: 'PUT',
      body: JSON.stringify({ role: 'member', servers: ['second'] }),
    });
    assert.equal(narrowed.status, 200, await narrowed.text());
    assert.equal((await useToken(fixture, tokens.access)).status, 403);
  });

  it('refuses a consent POST without the CSRF token (403) and issues no code', async () => {
    const jar = createCookieJar();
    // Sign in once so the next authorization stops at the consent page.
    await obtainTokens(ADA, fixture, jar);
    const clientId = await registerClient();
    const pkce = pkcePair();
    const start = await jar.followRedirects(
      as.authorizationUrl(authorizationParams(clientId, fixture, pkce.challenge)),
      { stop: (location) => !location.startsWith(gateway.url) },
    );
    assert.equal(start.status, 200, 'the consent page');
    const form = findForm(start.body, '/consent');
    const action = new URL(form.action, start.url).href;
    const forged = await jar.post(action, { action: 'approve' }, { origin: gateway.url });
    assert.equal(forged.status, 403);
    assert.equal(forged.location, undefined, 'no redirect, so no code');
    // The genuine form still completes the same interaction.
    const genuine = await jar.post(
      action,
      { ...form.fields, action: 'approve' },
      { origin: gateway.url },
    );
    const landed = await jar.followRedirects(genuine.location!, {
      stop: (location) => !location.startsWith(gateway.url),
    });
    assert.ok(new URL(landed.location!).searchParams.get('code'));
  });

  it('throttles sign-in after repeated failures (429), even with the right password', async () => {
    const clientId = await registerClient();
    const jar = createCookieJar();
    const page = await jar.followRedirects(
      as.authorizationUrl(authorizationParams(clientId, fixture, pkcePair().challenge)),
    );
    const form = findForm(page.body, '/login');
    const action = new URL(form.action, page.url).href;
    const attempt = (password: string) =>
      jar.post(action, { ...form.fields, email: EVE.email, password }, { origin: gateway.url });
    let failures = 0;
    for (; failures < 20; failures += 1) {
      const wrong = await attempt(`wrong password ${failures}`);
      if (wrong.status === 429) break;
      assert.equal(wrong.status, 401);
    }
    assert.equal(failures, DEFAULT_LOGIN_THROTTLE_LIMITS.accountFailures);
    const right = await attempt(EVE.password);
    assert.equal(right.status, 429);
    assert.ok(right.headers['retry-after'], 'Retry-After tells when to try again');
    assert.equal(right.location, undefined, 'no sign-in');
  });

  it('refuses a metadata-document client hosted at a private address unless allowed', async () => {
    const document = await hostClientMetadataDocument((clientId) => ({
      client_id: clientId,
      client_name: 'Private document',
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'none',
    }));
    try {
      const params = authorizationParams(document.url, fixture, pkcePair().challenge);
      const answer = await createCookieJar().get(as.authorizationUrl(params));
      assert.equal(answer.status, 400);
      assert.equal(answer.location, undefined, 'never redirected');
      assert.match(answer.body, /invalid_client/);
      assert.equal(document.fetches(), 0, 'the address was refused before any request');
    } finally {
      await document.close();
    }
  });

  it('refuses a resource that is not a server of the gateway (invalid_target)', async () => {
    const clientId = await registerClient();
    const params = authorizationParams(clientId, gateway.endpoint('nope'), pkcePair().challenge);
    const answer = await createCookieJar().get(as.authorizationUrl(params));
    assert.ok(answer.location, 'redirected back to the client with the error');
    const redirect = new URL(answer.location);
    assert.equal(redirect.searchParams.get('error'), 'invalid_target');
    assert.equal(redirect.searchParams.get('code'), null);
    // At the token endpoint too: a code for one server cannot buy a token for another.
    const grant = await authorizeCode(ADA, fixture);
    const other = await exchange(grant, second);
    assert.equal(other.status, 400);
    assert.equal(other.body.error, 'invalid_target');
    // The refused exchange changed nothing: the code still buys a token for its own server.
    const again = await exchange(grant, fixture);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.ok(again.body.access_token);
  });
});
