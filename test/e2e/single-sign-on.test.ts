/**
 * Single sign-on on a whole gateway against a real OpenID Connect provider
 * (oidc-provider on a loopback port): the browser's round trip through a
 * cookie jar that follows redirects by hand, results read back through the
 * admin API. Every refusal ends on a safe HTML page and changes nothing.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/config/runtime-config.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startIdentityProvider } from '../fixtures/oidc-identity-provider.ts';
import type { RunningIdentityProvider } from '../fixtures/oidc-identity-provider.ts';
import {
  buildAuthorizeUrl,
  createCookieJar,
  findForm,
  registerClient,
} from '../support/cookie-jar.ts';
import type { CookieJar, JarResponse } from '../support/cookie-jar.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { connectClient, resultText } from '../support/sdk-client.ts';
import { freePort } from '../support/free-port.ts';

const ROOT = { email: 'root@acme.test', password: 'root has a long password' };
const BOB = { email: 'bob@acme.test', password: 'bob has a long password' };

const ACCOUNTS = {
  ada: { email: 'Ada@Acme.Test', email_verified: true, name: 'Ada', groups: ['eng', 'ops-admins'] },
  bob: { email: 'bob@acme.test', email_verified: false, name: 'Bob', groups: ['eng'] },
  eve: { email: 'eve@elsewhere.test', email_verified: true, name: 'Eve', groups: ['eng'] },
  carol: { email: 'carol@partner.test', email_verified: true, name: 'Carol', groups: ['eng'] },
  dan: { name: 'Dan' },
  grace: { email: 'grace@acme.test', email_verified: true, name: 'Grace', groups: ['eng'] },
};

interface Me {
  user: { id: string; email: string; name: string | null };
  memberships: { workspaceId: string; role: string; servers: string[] | null }[];
  csrfToken?: string;
}

function assertErrorPage(page: JarResponse, status: number, text: RegExp): void {
  assert.equal(page.status, status, page.body);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assert.equal(
    page.headers['content-security-policy'],
    "default-src 'none'; frame-ancestors 'none'",
  );
  assert.match(page.body, text);
}

/** Signs in with a password on the gateway's own page. */
async function passwordSignIn(jar: CookieJar, url: string, email: string, password: string) {
  const form = findForm((await jar.get(`${url}/login`)).body, '/login');
  const done = await jar.post(`${url}/login`, { ...form.fields, email, password }, { origin: url });
  assert.equal(done.status, 303, done.body);
}

/** `GET /api/v1/me` as the jar's browser session; undefined when it is not signed in. */
async function me(jar: CookieJar, url: string): Promise<Me | undefined> {
  const page = await jar.get(`${url}/api/v1/me`);
  if (page.status === 401) return undefined;
  assert.equal(page.status, 200, page.body);
  return JSON.parse(page.body) as Me;
}

function roleIn(profile: Me | undefined, workspaceId: string): string | undefined {
  return profile?.memberships.find((m) => m.workspaceId === workspaceId)?.role;
}

describe('single sign-on on the whole gateway', () => {
  let idp: RunningIdentityProvider;
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;
  const root = createCookieJar();

  /** The admin API as the instance administrator's browser session (CSRF token on POST). */
  async function adminApi(method: 'GET' | 'POST', route: string, body?: unknown) {
    const url = `${gateway.url}/api/v1${route}`;
    const cookie = [...root.cookiesFor(url)].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      method,
      headers: {
        cookie,
        ...(body === undefined
          ? {}
          : {
              'content-type': 'application/json',
              'x-csrf-token': (await me(root, gateway.url))!.csrfToken!,
            }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    assert.ok(response.status < 300, `${method} ${route}: ${response.status} ${text}`);
    return JSON.parse(text) as unknown;
  }

  /** Users and memberships as the instance administrator sees them. */
  async function snapshot() {
    const users = (await adminApi('GET', '/users')) as { email: string }[];
    const members = await Promise.all(
      ['acme', 'ops'].map((ws) => adminApi('GET', `/workspaces/${ws}/members`)),
    );
    return { users: users.map((u) => u.email).sort(), members };
  }

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    idp = await startIdentityProvider({ accounts: ACCOUNTS });
    gateway = await startTestGateway({
      servers: [{ id: 'fixture', url: upstream.url }],
      users: [
        { ...ROOT, admin: true },
        // bob has a password; his provider account's email is unverified.
        BOB,
        // carol exists already (invited), in a domain SSO does not create accounts for.
        { email: 'CAROL@partner.test', role: 'owner' },
      ],
      env: {
        PORTCULLIS_SSO_ISSUER: idp.issuer,
        PORTCULLIS_SSO_CLIENT_ID: idp.clientId,
        PORTCULLIS_SSO_CLIENT_SECRET: idp.clientSecret,
        PORTCULLIS_SSO_LABEL: 'Acme ID',
        PORTCULLIS_SSO_EMAIL_DOMAINS: 'ACME.test',
        PORTCULLIS_SSO_GROUP_ROLES: 'eng:acme:member,ops-admins:ops:admin,eng:ops:viewer',
      },
    });
    // The gateway's port, and so its callback, is known only now.
    idp.allowRedirectUri(`${gateway.url}/sso/callback`);
    await passwordSignIn(root, gateway.url, ROOT.email, ROOT.password);
    await adminApi('POST', '/workspaces', { id: 'ops', name: 'Ops' });
  });
  after(async () => {
    await gateway?.close();
    await idp?.close();
    await upstream?.close();
  });

  /** Runs the round trip up to the provider's redirect back; returns the callback URL, not yet fetched. */
  async function toCallback(
    jar: CookieJar,
    interaction: string,
    next?: string,
  ): Promise<{ callback: string; authorize: string }> {
    const query = next === undefined ? '' : `?next=${encodeURIComponent(next)}`;
    return fromStart(jar, `${gateway.url}/sso/start${query}`, interaction);
  }

  async function fromStart(jar: CookieJar, startUrl: string, interaction: string) {
    const start = await jar.get(startUrl);
    assert.equal(start.status, 302, start.body);
    const authorize = start.location!;
    assert.ok(authorize.startsWith(`${idp.issuer}/`), authorize);
    const login = await jar.followRedirects(authorize, {
      stop: (t) => t.includes('/interaction/'),
    });
    assert.ok(login.location !== undefined, login.body);
    const back = await jar.followRedirects(`${login.location}?${interaction}`, {
      stop: (t) => t.startsWith(`${gateway.url}/sso/callback`),
    });
    assert.ok(back.location !== undefined, back.body);
    return { callback: back.location, authorize };
  }

  const gatewayCookies = (jar: CookieJar) => jar.cookiesFor(`${gateway.url}/sso/callback`);

  it('refuses when the provider answers access_denied, changing nothing', async () => {
    const before = await snapshot();
    const jar = createCookieJar();
    const { callback } = await toCallback(jar, 'deny=1');
    assert.match(callback, /error=access_denied/);
    const page = await jar.get(callback);
    assertErrorPage(page, 403, /did not sign you in \(access_denied\)/);
    assert.ok(!page.body.includes('The user refused'), 'provider text is not echoed');
    assert.equal(gatewayCookies(jar).size, 0, 'no session, state cookie cleared');
    assert.deepEqual(await snapshot(), before);
  });

  it('refuses a callback without the state cookie (another browser, or expired)', async () => {
    const before = await snapshot();
    const { callback } = await toCallback(createCookieJar(), 'login=ada');
    const other = createCookieJar();
    assertErrorPage(await other.get(callback), 400, /expired or was started in another browser/);
    assert.equal(await me(other, gateway.url), undefined);
    assert.deepEqual(await snapshot(), before);
  });

  it('refuses a tampered state parameter and a tampered state cookie', async () => {
    const before = await snapshot();
    const jar = createCookieJar();
    const { callback } = await toCallback(jar, 'login=ada');
    const tampered = new URL(callback);
    tampered.searchParams.set('state', 'x'.repeat(43));
    const saved = gatewayCookies(jar);
    assert.ok(saved.has('portcullis_sso_state'));
    assertErrorPage(await jar.get(tampered.href), 400, /does not match the sign-in/);

    jar.clear();
    for (const [name, value] of saved) jar.set(gateway.url, name, `${value.slice(0, -4)}AAAA`);
    assertErrorPage(await jar.get(callback), 400, /expired or was started/);
    assert.deepEqual(await snapshot(), before);
  });

  it('refuses an email the provider has not verified, even for an existing account', async () => {
    const before = await snapshot();
    const jar = createCookieJar();
    const { callback } = await toCallback(jar, 'login=bob');
    const page = await jar.get(callback);
    assertErrorPage(page, 403, /has not verified the email/);
    assert.match(page.body, /<a href="\/login">Back to sign-in<\/a>/);
    assert.equal(await me(jar, gateway.url), undefined);
    assert.deepEqual(await snapshot(), before);
    // bob's account is untouched: his password still works and he gained no membership.
    const bob = createCookieJar();
    await passwordSignIn(bob, gateway.url, BOB.email, BOB.password);
    assert.deepEqual((await me(bob, gateway.url))?.memberships, []);
  });

  it('refuses an account without an email claim', async () => {
    const before = await snapshot();
    const jar = createCookieJar();
    const { callback } = await toCallback(jar, 'login=dan');
    assertErrorPage(await jar.get(callback), 403, /did not share an email address/);
    assert.deepEqual(await snapshot(), before);
  });

  it('refuses a verified email outside the allowed domains when no account exists', async () => {
    const before = await snapshot();
    const jar = createCookieJar();
    const { callback } = await toCallback(jar, 'login=eve', '/interaction/abc?x=1');
    const page = await jar.get(callback);
    assertErrorPage(page, 403, /no gateway account for this email/);
    assert.match(page.body, /href="\/login\?next=%2Finteraction%2Fabc%3Fx%3D1"/);
    assert.equal(await me(jar, gateway.url), undefined);
    assert.deepEqual(await snapshot(), before);
  });

  it('escapes whatever the callback carries and shows no attacker text', async () => {
    const page = await createCookieJar().get(
      `${gateway.url}/sso/callback?error=%3Cscript%3Ealert(1)%3C/script%3E&error_description=%3Cb%3Ecall+us%3C/b%3E`,
    );
    assertErrorPage(page, 400, /Sign-in failed/);
    assert.ok(!page.body.includes('<script>') && !page.body.includes('call us'));
  });

  it('ignores an off-site next and returns to /', async () => {
    const jar = createCookieJar();
    const { callback } = await toCallback(jar, 'login=ada', 'https://evil.example/steal');
    const done = await jar.get(callback);
    assert.equal(done.status, 303, done.body);
    assert.equal(done.location, `${gateway.url}/`);
  });

  it('creates an allowed-domain user at first sign-in, applies group roles and signs them in', async () => {
    const jar = createCookieJar();
    const { callback, authorize } = await toCallback(jar, 'login=ada', '/acme/settings?tab=1');
    const scope = new URL(authorize).searchParams;
    assert.equal(scope.get('scope'), 'openid email profile groups');
    assert.equal(scope.get('code_challenge_method'), 'S256');
    assert.ok(scope.get('nonce') && scope.get('state'));
    assert.equal(scope.get('redirect_uri'), `${gateway.url}/sso/callback`);

    const done = await jar.get(callback);
    assert.equal(done.status, 303, done.body);
    assert.equal(done.location, `${gateway.url}/acme/settings?tab=1`);
    assert.ok(!gatewayCookies(jar).has('portcullis_sso_state'));
    const ada = await me(jar, gateway.url);
    assert.equal(ada?.user.email, 'Ada@Acme.Test');
    assert.equal(ada.user.name, 'Ada');
    assert.equal(roleIn(ada, 'acme'), 'member');
    // ops-admins → admin beats eng → viewer in the same workspace.
    assert.equal(roleIn(ada, 'ops'), 'admin');
    const users = (await adminApi('GET', '/users')) as { email: string }[];
    assert.equal(users.filter((u) => /^ada@/i.test(u.email)).length, 1);
  });

  it('refuses a replayed callback: the code is spent and the state cookie gone', async () => {
    const jar = createCookieJar();
    const { callback } = await toCallback(jar, 'login=ada');
    const stateCookie = gatewayCookies(jar).get('portcullis_sso_state');
    assert.ok(stateCookie !== undefined);
    assert.equal((await jar.get(callback)).status, 303);

    // The same browser again: its state cookie was cleared.
    assertErrorPage(await jar.get(callback), 400, /expired or was started/);
    // An attacker replaying both the URL and the old cookie: the provider refuses the spent code.
    const replay = createCookieJar();
    replay.set(gateway.url, 'portcullis_sso_state', stateCookie);
    const tokenRequests = idp.tokenRequests;
    assertErrorPage(
      await replay.get(callback),
      400,
      /refused to complete this sign-in \(invalid_grant\)/,
    );
    assert.equal(idp.tokenRequests, tokenRequests + 1);
    assert.ok(!gatewayCookies(replay).has('portcullis_session'), 'no session for the replay');
    assert.equal(await me(replay, gateway.url), undefined);
  });

  it('matches an existing user case-insensitively and keeps memberships the mapping does not cover', async () => {
    // This browser is signed in as ada; signing in as carol ends that session.
    const jar = createCookieJar();
    const first = await toCallback(jar, 'login=ada');
    assert.equal((await jar.get(first.callback)).status, 303);
    const adaToken = gatewayCookies(jar).get('portcullis_session');
    assert.ok(adaToken !== undefined);
    assert.equal((await me(jar, gateway.url))?.user.email, 'Ada@Acme.Test');
    // Forget the provider's session (a different person at the provider), keep the gateway's.
    jar.clear();
    jar.set(gateway.url, 'portcullis_session', adaToken);

    const { callback } = await toCallback(jar, 'login=carol');
    const done = await jar.get(callback);
    assert.equal(done.status, 303, done.body);
    const carol = await me(jar, gateway.url);
    assert.equal(carol?.user.email, 'CAROL@partner.test', 'the stored email is not rewritten');
    const users = (await adminApi('GET', '/users')) as { email: string }[];
    assert.equal(users.filter((u) => /^carol@/i.test(u.email)).length, 1);
    // eng maps to acme:member: the mapped workspace's role follows the provider.
    assert.equal(roleIn(carol, 'acme'), 'member');
    assert.equal(roleIn(carol, 'ops'), 'viewer');
    const old = createCookieJar();
    old.set(gateway.url, 'portcullis_session', adaToken);
    assert.equal(await me(old, gateway.url), undefined, "ada's session has ended");
  });

  it('lets an SSO member authorize an MCP client without a password and call a tool with the token', async () => {
    const redirectUri = 'http://127.0.0.1:4567/callback';
    const client = await registerClient(gateway.url, { redirectUri, clientName: 'SSO client' });
    const resource = gateway.endpoint('fixture');
    const authorization = buildAuthorizeUrl(gateway.url, client, { resource });
    const jar = createCookieJar();
    const leavesGateway = (t: string) => new URL(t).origin !== gateway.url;

    const signInPage = await jar.followRedirects(authorization.url, { stop: leavesGateway });
    assert.equal(signInPage.status, 200, signInPage.body);
    const interaction = new URL(signInPage.url).pathname;
    assert.match(interaction, /^\/interaction\/[^/]+$/);
    // The sign-in page offers the provider beside the password form, returning to this interaction.
    const ssoLink = /<a href="([^"]*)">Sign in with Acme ID<\/a>/.exec(signInPage.body)?.[1];
    assert.equal(ssoLink, `/sso/start?next=${encodeURIComponent(interaction)}`, signInPage.body);
    const startUrl = new URL(ssoLink, signInPage.url).href;

    const { callback } = await fromStart(jar, startUrl, 'login=grace');
    const signedIn = await jar.get(callback);
    assert.equal(signedIn.status, 303, signedIn.body);
    assert.equal(signedIn.location, `${gateway.url}${interaction}`);
    assert.equal(roleIn(await me(jar, gateway.url), 'acme'), 'member');

    // Back at the interaction: the login prompt finishes from the SSO session, then consent.
    const consent = await jar.followRedirects(signedIn.location, { stop: leavesGateway });
    assert.equal(consent.status, 200, consent.body);
    assert.ok(!/name="password"/.test(consent.body), 'no password asked');
    const form = findForm(consent.body, '/consent');
    const approved = await jar.post(
      new URL(form.action, consent.url).href,
      { ...form.fields, action: 'approve' },
      { origin: gateway.url },
    );
    const returned = approved.location?.startsWith(redirectUri)
      ? approved
      : await jar.followRedirects(approved.location!, { stop: leavesGateway });
    const answer = new URL(returned.location!);
    assert.equal(answer.origin + answer.pathname, redirectUri);
    assert.equal(answer.searchParams.get('state'), authorization.state);
    assert.equal(answer.searchParams.get('iss'), gateway.url);
    const code = answer.searchParams.get('code');
    assert.ok(code !== null, returned.location);

    const token = await fetch(`${gateway.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: client.clientId,
        code,
        code_verifier: authorization.codeVerifier,
        redirect_uri: redirectUri,
        resource,
      }).toString(),
    });
    const tokens = (await token.json()) as { access_token?: string };
    assert.equal(token.status, 200, JSON.stringify(tokens));
    assert.ok(typeof tokens.access_token === 'string');

    const mcp = await connectClient({ ...gateway, apiKey: tokens.access_token }, 'fixture');
    try {
      const result = await mcp.callTool({ name: 'test_simple_text', arguments: {} });
      assert.match(resultText(result), /simple text response/);
    } finally {
      await mcp.close();
    }
  });
});

describe('single sign-on configuration at start', () => {
  it('refuses to start with an incomplete or malformed SSO configuration, naming each variable', async () => {
    await assert.rejects(
      startTestGateway({
        servers: [],
        env: {
          PORTCULLIS_SSO_ISSUER: 'https://id.example',
          PORTCULLIS_SSO_GROUP_ROLES: 'eng:acme:boss',
        },
      }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /PORTCULLIS_SSO_CLIENT_ID: is required/);
        assert.match(error.message, /PORTCULLIS_SSO_GROUP_ROLES: "eng:acme:boss"/);
        return true;
      },
    );
  });

  it('starts while the provider is down, keeps password sign-in, then signs in once the provider is up', async () => {
    const idpPort = await freePort();
    const clientSecret = crypto.randomBytes(24).toString('base64url');
    const gateway = await startTestGateway({
      servers: [],
      users: [BOB],
      env: {
        PORTCULLIS_SSO_ISSUER: `http://127.0.0.1:${idpPort}`,
        PORTCULLIS_SSO_CLIENT_ID: 'portcullis-gateway',
        PORTCULLIS_SSO_CLIENT_SECRET: clientSecret,
        PORTCULLIS_SSO_EMAIL_DOMAINS: 'acme.test',
        PORTCULLIS_SSO_GROUP_ROLES: 'eng:acme:member',
      },
    });
    let idp: RunningIdentityProvider | undefined;
    try {
      const down = await createCookieJar().get(`${gateway.url}/sso/start?next=/x`);
      assertErrorPage(down, 503, /cannot be reached right now/);
      assert.equal(down.headers['set-cookie'], undefined, 'no state cookie without a provider');
      const bob = createCookieJar();
      await passwordSignIn(bob, gateway.url, BOB.email, BOB.password);
      assert.equal((await me(bob, gateway.url))?.user.email, BOB.email);

      // This provider does not advertise a `groups` scope, so the gateway must not ask for one.
      idp = await startIdentityProvider({
        port: idpPort,
        clientSecret,
        groupsScope: false,
        redirectUris: [`${gateway.url}/sso/callback`],
        accounts: { ada: ACCOUNTS.ada },
      });
      // A failed discovery is retried at a sign-in after a short pause, not at every click.
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      const jar = createCookieJar();
      const start = await jar.get(`${gateway.url}/sso/start?next=/x`);
      assert.equal(start.status, 302, start.body);
      assert.equal(new URL(start.location!).searchParams.get('scope'), 'openid email profile');
      const login = await jar.followRedirects(start.location!, {
        stop: (t) => t.includes('/interaction/'),
      });
      const back = await jar.followRedirects(`${login.location!}?login=ada`, {
        stop: (t) => t.startsWith(`${gateway.url}/sso/callback`),
      });
      const done = await jar.get(back.location!);
      assert.equal(done.status, 303, done.body);
      assert.equal(done.location, `${gateway.url}/x`);
      const ada = await me(jar, gateway.url);
      assert.equal(ada?.user.email, 'Ada@Acme.Test');
      // No groups claim was asked for or sent: no membership from the mapping.
      assert.deepEqual(ada.memberships, []);
    } finally {
      await gateway.close();
      await idp?.close();
    }
  });
});
