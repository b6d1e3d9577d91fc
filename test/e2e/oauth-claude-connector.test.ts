/**
 * A client that behaves like Claude's hosted connector (MCP authorization
 * research §2.9), with raw HTTP requests so every status, header and field
 * is seen: 401 → PRM → AS metadata (RFC 8414, then OIDC) → DCR as
 * client_secret_post with both Claude callbacks → authorize with resource,
 * state and PKCE S256 → sign-in and consent through the real forms → token
 * with resource → a fresh `initialize` before every tool call → refresh with
 * rotation → re-registration after `401 invalid_client`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { request } from 'undici';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { createCookieJar } from '../support/cookie-jar.ts';
import type { CookieJar } from '../support/cookie-jar.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';
import {
  authorizeInBrowser,
  getJson,
  pkcePair,
  postForm,
  postJson,
} from '../support/oauth-client.ts';

const CLAUDE_AI_CALLBACK = 'https://claude.ai/api/mcp/auth_callback';
const CLAUDE_COM_CALLBACK = 'https://claude.com/api/mcp/auth_callback';
/** Claude's client ID metadata document; the gateway has it pre-seeded (no network here). */
const CLAUDE_CLIENT_ID = 'https://claude.ai/oauth/mcp-oauth-client-metadata';
const USER = { email: 'ada@acme.test', password: 'correct horse battery staple' };

type Json = Record<string, unknown>;

/** `WWW-Authenticate: Bearer a="b", c="d"` → { a: 'b', c: 'd' }. */
function challengeParams(header: unknown): Record<string, string> {
  const params: Record<string, string> = {};
  for (const match of String(header).matchAll(/([a-z_]+)="([^"]*)"/g))
    params[match[1]!] = match[2]!;
  return params;
}

interface Registration {
  clientId: string;
  /** Absent for the metadata-document client (token_endpoint_auth_method none). */
  clientSecret?: string;
}

const secretOf = (client: Registration): Record<string, string> =>
  client.clientSecret === undefined ? {} : { client_secret: client.clientSecret };

/** The connector's view of one gateway: discovery results and the steps it takes. */
function createConnector(gateway: TestGateway, jar: CookieJar) {
  let asMetadata: Json = {};

  async function discover(endpoint: string) {
    const unauthenticated = await mcpPost(endpoint, initializeBody(), {
      'user-agent': 'Claude-User',
    });
    assert.equal(unauthenticated.status, 401);
    const challenge = challengeParams(unauthenticated.headers['www-authenticate']);
    const prm = await getJson(challenge.resource_metadata!);
    assert.equal(prm.status, 200);
    assert.equal(prm.body.resource, endpoint, 'PRM resource is the endpoint, byte for byte');
    // SEP-2207: offline_access is the client's to add, never the resource's to ask for.
    assert.ok(!String(challenge.scope).split(' ').includes('offline_access'));
    assert.ok(
      !((prm.body.scopes_supported as string[] | undefined) ?? []).includes('offline_access'),
    );
    const [issuer] = prm.body.authorization_servers as string[];
    assert.equal(issuer, gateway.url);
    // RFC 8414 first, then OIDC discovery: both must answer, for the same issuer.
    const oauth = await getJson(`${issuer}/.well-known/oauth-authorization-server`);
    const oidc = await getJson(`${issuer}/.well-known/openid-configuration`);
    assert.equal(oauth.status, 200);
    assert.equal(oidc.status, 200);
    assert.equal(oauth.body.issuer, issuer);
    assert.equal(oidc.body.issuer, issuer);
    assert.deepEqual(oauth.body.code_challenge_methods_supported, ['S256']);
    assert.equal(oauth.body.authorization_response_iss_parameter_supported, true);
    // What makes Claude choose CIMD; with DCR it registers as client_secret_post.
    assert.equal(oauth.body.client_id_metadata_document_supported, true);
    const methods = oauth.body.token_endpoint_auth_methods_supported as string[];
    assert.ok(methods.includes('none') && methods.includes('client_secret_post'));
    asMetadata = oauth.body;
    return { challenge, issuer };
  }

  /** Claude: the challenge's scope, plus offline_access only when the AS lists it. */
  function scopeFor(challengeScope: string): string {
    const supported = asMetadata.scopes_supported as string[];
    return supported.includes('offline_access')
      ? `${challengeScope} offline_access`
      : challengeScope;
  }

  async function register(): Promise<Registration> {
    const registered = await postJson(String(asMetadata.registration_endpoint), {
      client_name: 'Claude',
      redirect_uris: [CLAUDE_AI_CALLBACK, CLAUDE_COM_CALLBACK],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    for (const [field, value] of Object.entries(registered.body))
      assert.notEqual(value, null, `registration response field ${field} is null`);
    assert.equal(registered.body.token_endpoint_auth_method, 'client_secret_post');
    assert.equal(typeof registered.body.client_id_issued_at, 'number');
    return {
      clientId: String(registered.body.client_id),
      clientSecret: String(registered.body.client_secret),
    };
  }

  /** Authorize through the browser; resolves to the parsed redirect to Claude's callback. */
  async function authorize(client: Registration, endpoint: string, scope: string) {
    const pkce = pkcePair();
    const state = crypto.randomUUID();
    const url = new URL(String(asMetadata.authorization_endpoint));
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: CLAUDE_AI_CALLBACK,
      scope,
      state,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      resource: endpoint,
    }).toString();
    const outcome = await authorizeInBrowser(jar, url.href, { ...USER, approve: true });
    const landed = new URL(outcome.location);
    assert.equal(`${landed.origin}${landed.pathname}`, CLAUDE_AI_CALLBACK);
    assert.equal(landed.searchParams.get('state'), state);
    assert.equal(landed.searchParams.get('iss'), gateway.url, 'RFC 9207 iss, byte-exact');
    const code = landed.searchParams.get('code');
    assert.ok(code, `no code in ${landed.href}`);
    return { code, verifier: pkce.verifier, forms: outcome.forms };
  }

  function token(form: Record<string, string>) {
    return postForm(String(asMetadata.token_endpoint), form);
  }

  async function exchange(
    client: Registration,
    endpoint: string,
    grant: { code: string; verifier: string },
  ) {
    return token({
      grant_type: 'authorization_code',
      code: grant.code,
      redirect_uri: CLAUDE_AI_CALLBACK,
      code_verifier: grant.verifier,
      resource: endpoint,
      client_id: client.clientId,
      ...secretOf(client),
    });
  }

  function refresh(client: Registration, endpoint: string, refreshToken: string) {
    return token({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      resource: endpoint,
      client_id: client.clientId,
      ...secretOf(client),
    });
  }

  return { discover, scopeFor, register, authorize, exchange, refresh, token };
}

/** Claude's legacy-era habit: a new session (fresh `initialize`) before every tool call. */
async function callInFreshSession(endpoint: string, accessToken: string, id: number) {
  const auth = { authorization: `Bearer ${accessToken}`, 'user-agent': 'Claude-User' };
  const init = await mcpPost(endpoint, initializeBody(id), auth);
  if (init.status !== 200) return { status: init.status, session: undefined, result: undefined };
  const session = String(init.headers['mcp-session-id']);
  const withSession = { ...auth, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
  const initialized = await mcpPost(
    endpoint,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    withSession,
  );
  assert.equal(initialized.status, 202);
  const call = await mcpPost(
    endpoint,
    {
      jsonrpc: '2.0',
      id: id + 1,
      method: 'tools/call',
      params: { name: 'test_simple_text', arguments: {} },
    },
    withSession,
  );
  return { status: call.status, session, result: call.json as Json };
}

describe("a client behaving like Claude's hosted connector", () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  let jar: CookieJar;
  let connector: ReturnType<typeof createConnector>;
  let endpoint: string;
  let client: Registration;
  let tokens: { access: string; refresh: string };

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [
        { id: 'fixture', url: upstream.url },
        { id: 'second', url: upstream.url },
      ],
      users: [{ ...USER, role: 'member' }],
    });
    jar = createCookieJar();
    connector = createConnector(gateway, jar);
    endpoint = gateway.endpoint('fixture');
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('answers an unauthenticated HEAD without an error or a hang', async () => {
    const answer = await request(endpoint, {
      method: 'HEAD',
      headers: { 'user-agent': 'Claude-User' },
    });
    await answer.body.text();
    assert.ok([401, 405].includes(answer.statusCode), `status ${answer.statusCode}`);
    if (answer.statusCode === 405) assert.match(String(answer.headers.allow), /POST/);
  });

  it('discovers the gateway from the 401 and registers with both Claude callbacks', async () => {
    const { challenge } = await connector.discover(endpoint);
    assert.equal(challenge.scope, 'mcp');
    client = await connector.register();
  });

  it('asks for offline_access only because the AS metadata lists it, and gets a refresh token', async () => {
    const scope = connector.scopeFor('mcp');
    assert.equal(scope, 'mcp offline_access');
    const grant = await connector.authorize(client, endpoint, scope);
    assert.ok(grant.forms.includes('sign-in'), 'a first visit shows the sign-in form');
    assert.ok(grant.forms.includes('consent'));
    const issued = await connector.exchange(client, endpoint, grant);
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    assert.equal(issued.body.token_type, 'Bearer');
    assert.equal(typeof issued.body.refresh_token, 'string');
    assert.match(String(issued.body.scope), /\bmcp\b/);
    const access = String(issued.body.access_token);
    assert.equal(decodeProtectedHeader(access).typ, 'at+jwt');
    const claims = decodeJwt(access);
    assert.equal(claims.aud, endpoint);
    assert.equal(claims.iss, gateway.url);
    assert.equal(claims.client_id, client.clientId);
    tokens = { access, refresh: String(issued.body.refresh_token) };
  });

  it('serves two tool calls, each after its own fresh initialize (a new session each time)', async () => {
    const first = await callInFreshSession(endpoint, tokens.access, 10);
    const second = await callInFreshSession(endpoint, tokens.access, 20);
    for (const round of [first, second]) {
      assert.equal(round.status, 200);
      assert.match(JSON.stringify(round.result), /simple text response/);
    }
    assert.notEqual(first.session, second.session);
  });

  it('rotates the refresh token; reusing the old one revokes the whole grant', async () => {
    const rotated = await connector.refresh(client, endpoint, tokens.refresh);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const newRefresh = String(rotated.body.refresh_token);
    const newAccess = String(rotated.body.access_token);
    assert.notEqual(newRefresh, tokens.refresh, 'a new refresh token on every refresh');
    assert.equal(decodeJwt(newAccess).aud, endpoint);
    assert.equal((await callInFreshSession(endpoint, newAccess, 30)).status, 200);

    const reused = await connector.refresh(client, endpoint, tokens.refresh);
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error, 'invalid_grant');
    // OAuth 2.1 §4.3.1 / RFC 9700 §4.14.2: reuse of a rotated token means theft, so the
    // authorization server revokes the grant: the new refresh and access tokens die too.
    const afterReuse = await connector.refresh(client, endpoint, newRefresh);
    assert.equal(afterReuse.status, 400);
    assert.equal(afterReuse.body.error, 'invalid_grant');
    const refused = await mcpPost(endpoint, initializeBody(), {
      authorization: `Bearer ${newAccess}`,
    });
    assert.equal(refused.status, 401);
    assert.match(String(refused.headers['www-authenticate']), /error="invalid_token"/);
  });

  it('answers 401 invalid_client for an unknown client, and the re-registered client completes', async () => {
    const unknown = await connector.token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh,
      resource: endpoint,
      client_id: 'made-up-client-id',
      client_secret: 'made-up-secret',
    });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error, 'invalid_client');

    const previous = client.clientId;
    client = await connector.register();
    assert.notEqual(client.clientId, previous, 'a new confidential client');
    const grant = await connector.authorize(client, endpoint, connector.scopeFor('mcp'));
    assert.ok(!grant.forms.includes('sign-in'), 'the browser session is still signed in');
    assert.ok(grant.forms.includes('consent'), 'a new client needs its own consent');
    const issued = await connector.exchange(client, endpoint, grant);
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const round = await callInFreshSession(endpoint, String(issued.body.access_token), 40);
    assert.equal(round.status, 200);
  });

  it("takes the metadata-document path with Claude's pre-seeded client id, no registration", async () => {
    const claude: Registration = { clientId: CLAUDE_CLIENT_ID };
    const grant = await connector.authorize(claude, endpoint, connector.scopeFor('mcp'));
    const issued = await connector.exchange(claude, endpoint, grant);
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    assert.equal(typeof issued.body.refresh_token, 'string');
    const access = String(issued.body.access_token);
    assert.equal(decodeJwt(access).client_id, CLAUDE_CLIENT_ID);
    assert.equal((await callInFreshSession(endpoint, access, 60)).status, 200);
  });

  it('lets the signed-in user add a second server with consent only, no sign-in form', async () => {
    const secondEndpoint = gateway.endpoint('second');
    const { challenge } = await connector.discover(secondEndpoint);
    const second = await connector.register();
    const grant = await connector.authorize(
      second,
      secondEndpoint,
      connector.scopeFor(challenge.scope!),
    );
    assert.deepEqual(grant.forms, ['consent']);
    const issued = await connector.exchange(second, secondEndpoint, grant);
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    const access = String(issued.body.access_token);
    assert.equal(decodeJwt(access).aud, secondEndpoint);
    assert.equal((await callInFreshSession(secondEndpoint, access, 50)).status, 200);
    // Audience-bound: the second server's token opens nothing else.
    const elsewhere = await mcpPost(endpoint, initializeBody(), {
      authorization: `Bearer ${access}`,
    });
    assert.equal(elsewhere.status, 401);
  });
});
