/**
 * Single sign-on against a real OpenID Connect provider (oidc-provider on a
 * loopback port): the browser's whole round trip, driven by a small cookie
 * jar that follows redirects by hand. Every refusal ends on a safe HTML page
 * and changes nothing in the store.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { hashToken } from '../../src/auth/sign-in/browser-sessions.ts';
import { createSignIn } from '../../src/auth/sign-in/sign-in.ts';
import { createSingleSignOn } from '../../src/auth/sso/single-sign-on.ts';
import { parseRuntimeConfig } from '../../src/config/runtime-config.ts';
import { createApp } from '../../src/ingress/create-app.ts';
import { createOriginGuard } from '../../src/ingress/origin-guard.ts';
import { GatewayError } from '../../src/shared/errors.ts';
import { createStore } from '../../src/store/create-store.ts';
import type { Store } from '../../src/store/store.ts';
import { startIdentityProvider } from '../fixtures/oidc-identity-provider.ts';
import type { RunningIdentityProvider } from '../fixtures/oidc-identity-provider.ts';

interface Page {
  status: number;
  location: string | undefined;
  headers: Headers;
  text: string;
}

/** Cookies per origin, enough for two loopback servers on different ports. */
class Browser {
  readonly jar = new Map<string, Map<string, string>>();

  cookies(url: string): Map<string, string> {
    const origin = new URL(url).origin;
    let cookies = this.jar.get(origin);
    if (cookies === undefined) this.jar.set(origin, (cookies = new Map()));
    return cookies;
  }

  async get(url: string): Promise<Page> {
    const cookies = this.cookies(url);
    const header = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      redirect: 'manual',
      headers: header === '' ? {} : { cookie: header },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const removed = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (removed) cookies.delete(name);
      else cookies.set(name, value);
    }
    const location = response.headers.get('location') ?? undefined;
    return {
      status: response.status,
      location: location === undefined ? undefined : new URL(location, url).href,
      headers: response.headers,
      text: await response.text(),
    };
  }

  /** Follows redirects from `url` until one points at `stop` (returned, not fetched). */
  async followUntil(url: string, stop: (target: string) => boolean): Promise<string> {
    let target = url;
    for (let hop = 0; hop < 10; hop += 1) {
      if (stop(target)) return target;
      const page = await this.get(target);
      assert.ok(
        page.location !== undefined,
        `redirect expected from ${target}: ${page.status} ${page.text}`,
      );
      target = page.location;
    }
    throw new Error('too many redirects');
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

interface Gateway {
  url: string;
  store: Store;
  close(): Promise<void>;
}

/** The gateway's HTTP surface with SSO mounted, a real SQLite store and the real sign-in sessions. */
async function startGateway(port: number, env: Record<string, string>): Promise<Gateway> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-sso-'));
  const config = parseRuntimeConfig({
    PORTCULLIS_HOST: '127.0.0.1',
    PORTCULLIS_PORT: String(port),
    PORTCULLIS_DATA_DIR: dataDir,
    ...env,
  });
  const logger = pino({ level: process.env.PORTCULLIS_TEST_LOG_LEVEL ?? 'silent' });
  const store = await createStore({ kind: 'sqlite', file: path.join(dataDir, 'portcullis.db') });
  await store.migrate();
  await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
  await store.workspaces.upsert({ id: 'ops', name: 'Ops' });
  const signIn = createSignIn({ config, store, logger });
  const sso = createSingleSignOn({
    config,
    store,
    signIn,
    logger,
    secretKey: crypto.randomBytes(32).toString('base64url'),
  });
  assert.ok(sso !== undefined);
  const app = createApp({
    logger,
    bodyLimit: config.bodyLimit,
    originGuard: createOriginGuard(config.publicUrl, []),
    mcpHandler: async () => {
      throw new GatewayError('not_found');
    },
    isReady: async () => true,
    routeModules: [
      sso.routeModule,
      (instance) =>
        instance.get('/whoami', async (request) => {
          const current = await signIn.currentSession(request);
          return { email: current?.user.email ?? null };
        }),
    ],
  });
  await app.listen({ host: '127.0.0.1', port });
  return {
    url: config.publicUrl,
    store,
    async close() {
      await app.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const ACCOUNTS = {
  ada: { email: 'Ada@Acme.Test', email_verified: true, name: 'Ada', groups: ['eng', 'ops-admins'] },
  bob: { email: 'bob@acme.test', email_verified: false, name: 'Bob', groups: ['eng'] },
  eve: { email: 'eve@elsewhere.test', email_verified: true, name: 'Eve', groups: ['eng'] },
  carol: { email: 'carol@partner.test', email_verified: true, name: 'Carol', groups: ['eng'] },
  dan: { name: 'Dan' },
};

function ssoEnv(idp: RunningIdentityProvider): Record<string, string> {
  return {
    PORTCULLIS_SSO_ISSUER: idp.issuer,
    PORTCULLIS_SSO_CLIENT_ID: idp.clientId,
    PORTCULLIS_SSO_CLIENT_SECRET: idp.clientSecret,
    PORTCULLIS_SSO_LABEL: 'Acme ID',
    PORTCULLIS_SSO_EMAIL_DOMAINS: 'ACME.test',
    PORTCULLIS_SSO_GROUP_ROLES: 'eng:acme:member,ops-admins:ops:admin,eng:ops:viewer',
  };
}

function assertErrorPage(page: Page, status: number, text: RegExp): void {
  assert.equal(page.status, status, page.text);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(
    page.headers.get('content-security-policy'),
    "default-src 'none'; frame-ancestors 'none'",
  );
  assert.match(page.text, text);
}

async function storeSnapshot(store: Store) {
  const users = await store.users.list();
  const members = await Promise.all(['acme', 'ops'].map((ws) => store.members.list(ws)));
  return { users: users.map((u) => u.email).sort(), members: members.flat().length };
}

describe('single sign-on', () => {
  let idp: RunningIdentityProvider;
  let gateway: Gateway;

  before(async () => {
    const port = await freePort();
    idp = await startIdentityProvider({
      redirectUris: [`http://127.0.0.1:${port}/sso/callback`],
      accounts: ACCOUNTS,
    });
    gateway = await startGateway(port, ssoEnv(idp));
    // bob has a password account; his provider account's email is unverified.
    await gateway.store.users.upsert({ email: 'bob@acme.test', passwordHash: 'scrypt$kept' });
    // carol exists already (invited), in a domain SSO does not create accounts for.
    const carol = await gateway.store.users.upsert({ email: 'CAROL@partner.test', name: null });
    await gateway.store.members.upsert({ workspaceId: 'acme', userId: carol.id, role: 'owner' });
  });
  after(async () => {
    await gateway?.close();
    await idp?.close();
  });

  /** Runs the round trip up to the provider's redirect back; returns the callback URL, not yet fetched. */
  async function toCallback(
    browser: Browser,
    interaction: string,
    next?: string,
  ): Promise<{ callback: string; authorize: string }> {
    const start = await browser.get(
      `${gateway.url}/sso/start${next === undefined ? '' : `?next=${encodeURIComponent(next)}`}`,
    );
    assert.equal(start.status, 302, start.text);
    const authorize = start.location!;
    assert.ok(authorize.startsWith(idp.issuer), authorize);
    const login = await browser.followUntil(authorize, (t) => t.includes('/interaction/'));
    const callback = await browser.followUntil(`${login}?${interaction}`, (t) =>
      t.startsWith(`${gateway.url}/sso/callback`),
    );
    return { callback, authorize };
  }

  it('refuses when the provider answers access_denied, changing nothing', async () => {
    const before = await storeSnapshot(gateway.store);
    const browser = new Browser();
    const { callback } = await toCallback(browser, 'deny=1');
    assert.match(callback, /error=access_denied/);
    const page = await browser.get(callback);
    assertErrorPage(page, 403, /did not sign you in \(access_denied\)/);
    assert.ok(!page.text.includes('The user refused'), 'provider text is not echoed');
    assert.equal(browser.cookies(gateway.url).size, 0, 'no session, state cookie cleared');
    assert.deepEqual(await storeSnapshot(gateway.store), before);
  });

  it('refuses a callback without the state cookie (another browser, or expired)', async () => {
    const browser = new Browser();
    const { callback } = await toCallback(browser, 'login=ada');
    const page = await new Browser().get(callback);
    assertErrorPage(page, 400, /expired or was started in another browser/);
    assert.equal(await gateway.store.users.findByEmail('ada@acme.test'), undefined);
  });

  it('refuses a tampered state parameter and a tampered state cookie', async () => {
    const browser = new Browser();
    const { callback } = await toCallback(browser, 'login=ada');
    const tampered = new URL(callback);
    tampered.searchParams.set('state', 'x'.repeat(43));
    const saved = new Map(browser.cookies(gateway.url));
    assertErrorPage(await browser.get(tampered.href), 400, /does not match the sign-in/);

    for (const [name, value] of saved)
      browser.cookies(gateway.url).set(name, `${value.slice(0, -4)}AAAA`);
    assertErrorPage(await browser.get(callback), 400, /expired or was started/);
    assert.equal(await gateway.store.users.findByEmail('ada@acme.test'), undefined);
  });

  it('refuses an email the provider has not verified, even for an existing account', async () => {
    const before = await storeSnapshot(gateway.store);
    const browser = new Browser();
    const { callback } = await toCallback(browser, 'login=bob');
    const page = await browser.get(callback);
    assertErrorPage(page, 403, /has not verified the email/);
    assert.match(page.text, /<a href="\/login">Back to sign-in<\/a>/);
    assert.deepEqual(await storeSnapshot(gateway.store), before);
    const bob = await gateway.store.users.findByEmail('bob@acme.test');
    assert.equal(bob?.passwordHash, 'scrypt$kept');
    assert.deepEqual(await gateway.store.members.listForUser(bob.id), []);
    assert.equal(JSON.parse((await browser.get(`${gateway.url}/whoami`)).text).email, null);
  });

  it('refuses an account without an email claim', async () => {
    const before = await storeSnapshot(gateway.store);
    const browser = new Browser();
    const { callback } = await toCallback(browser, 'login=dan');
    assertErrorPage(await browser.get(callback), 403, /did not share an email address/);
    assert.deepEqual(await storeSnapshot(gateway.store), before);
  });

  it('refuses a verified email outside the allowed domains when no account exists', async () => {
    const before = await storeSnapshot(gateway.store);
    const browser = new Browser();
    const { callback } = await toCallback(browser, 'login=eve', '/interaction/abc?x=1');
    const page = await browser.get(callback);
    assertErrorPage(page, 403, /no gateway account for this email/);
    assert.match(page.text, /href="\/login\?next=%2Finteraction%2Fabc%3Fx%3D1"/);
    assert.deepEqual(await storeSnapshot(gateway.store), before);
    const whoami = await new Browser().get(`${gateway.url}/whoami`);
    assert.deepEqual(JSON.parse(whoami.text), { email: null });
  });

  it('escapes whatever the callback carries and shows no attacker text', async () => {
    const page = await new Browser().get(
      `${gateway.url}/sso/callback?error=%3Cscript%3Ealert(1)%3C/script%3E&error_description=%3Cb%3Ecall+us%3C/b%3E`,
    );
    assertErrorPage(page, 400, /Sign-in failed/);
    assert.ok(!page.text.includes('<script>') && !page.text.includes('call us'));
  });

  it('ignores an off-site next and returns to /', async () => {
    const browser = new Browser();
    const { callback } = await toCallback(browser, 'login=ada', 'https://evil.example/steal');
    const done = await browser.get(callback);
    assert.equal(done.status, 303, done.text);
    assert.equal(done.location, `${gateway.url}/`);
  });

  it('creates an allowed-domain user at first sign-in, applies group roles and signs them in', async () => {
    const browser = new Browser();
    const { callback, authorize } = await toCallback(browser, 'login=ada', '/acme/settings?tab=1');
    const scope = new URL(authorize).searchParams;
    assert.equal(scope.get('scope'), 'openid email profile groups');
    assert.equal(scope.get('code_challenge_method'), 'S256');
    assert.ok(scope.get('nonce') && scope.get('state'));
    assert.equal(scope.get('redirect_uri'), `${gateway.url}/sso/callback`);

    const done = await browser.get(callback);
    assert.equal(done.status, 303, done.text);
    assert.equal(done.location, `${gateway.url}/acme/settings?tab=1`);
    const user = await gateway.store.users.findByEmail('ada@acme.test');
    assert.ok(user !== undefined);
    assert.equal(user.name, 'Ada');
    assert.equal(user.passwordHash, null);
    assert.equal((await gateway.store.members.find('acme', user.id))?.role, 'member');
    // ops-admins → admin beats eng → viewer in the same workspace.
    assert.equal((await gateway.store.members.find('ops', user.id))?.role, 'admin');
    const me = await browser.get(`${gateway.url}/whoami`);
    assert.equal(JSON.parse(me.text).email, user.email);
    assert.ok(!browser.cookies(gateway.url).has('portcullis_sso_state'));
  });

  it('refuses a replayed callback: the code is spent and the state cookie gone', async () => {
    const browser = new Browser();
    const { callback } = await toCallback(browser, 'login=ada');
    const stateCookie = browser.cookies(gateway.url).get('portcullis_sso_state');
    assert.ok(stateCookie !== undefined);
    assert.equal((await browser.get(callback)).status, 303);

    // The same browser again: its state cookie was cleared.
    assertErrorPage(await browser.get(callback), 400, /expired or was started/);
    // An attacker replaying both the URL and the old cookie: the provider refuses the spent code.
    const replay = new Browser();
    replay.cookies(gateway.url).set('portcullis_sso_state', stateCookie);
    const tokenRequests = idp.tokenRequests;
    assertErrorPage(
      await replay.get(callback),
      400,
      /refused to complete this sign-in \(invalid_grant\)/,
    );
    assert.equal(idp.tokenRequests, tokenRequests + 1);
    assert.equal(replay.cookies(gateway.url).size, 0, 'no session for the replay');
  });

  it('matches an existing user case-insensitively and keeps memberships the mapping does not cover', async () => {
    // This browser is signed in as ada; signing in as carol ends that session.
    const browser = new Browser();
    const first = await toCallback(browser, 'login=ada');
    assert.equal((await browser.get(first.callback)).status, 303);
    const adaToken = browser.cookies(gateway.url).get('portcullis_session');
    assert.ok(adaToken !== undefined);
    assert.ok((await gateway.store.browserSessions.find(hashToken(adaToken))) !== undefined);
    browser.jar.delete(idp.issuer);

    const { callback } = await toCallback(browser, 'login=carol');
    const done = await browser.get(callback);
    assert.equal(done.status, 303, done.text);
    const users = (await gateway.store.users.list()).filter((u) => /carol/i.test(u.email));
    assert.equal(users.length, 1);
    const carol = users[0]!;
    assert.equal(carol.email, 'CAROL@partner.test', 'the stored email is not rewritten');
    // eng maps to acme:member: the mapped workspace's role follows the provider.
    assert.equal((await gateway.store.members.find('acme', carol.id))?.role, 'member');
    assert.equal((await gateway.store.members.find('ops', carol.id))?.role, 'viewer');
    assert.equal(JSON.parse((await browser.get(`${gateway.url}/whoami`)).text).email, carol.email);
    assert.equal(await gateway.store.browserSessions.find(hashToken(adaToken)), undefined);
  });
});

describe('single sign-on while the identity provider is down at start', () => {
  it('shows an error page instead of crashing, then works once the provider is up', async () => {
    const [gatewayPort, idpPort] = [await freePort(), await freePort()];
    const clientSecret = crypto.randomBytes(24).toString('base64url');
    const gateway = await startGateway(gatewayPort, {
      PORTCULLIS_SSO_ISSUER: `http://127.0.0.1:${idpPort}`,
      PORTCULLIS_SSO_CLIENT_ID: 'portcullis-gateway',
      PORTCULLIS_SSO_CLIENT_SECRET: clientSecret,
      PORTCULLIS_SSO_EMAIL_DOMAINS: 'acme.test',
      PORTCULLIS_SSO_GROUP_ROLES: 'eng:acme:member',
    });
    let idp: RunningIdentityProvider | undefined;
    try {
      const down = await new Browser().get(`${gateway.url}/sso/start?next=/x`);
      assertErrorPage(down, 503, /cannot be reached right now/);
      assert.equal(down.headers.get('set-cookie'), null, 'no state cookie without a provider');

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
      const browser = new Browser();
      const start = await browser.get(`${gateway.url}/sso/start?next=/x`);
      assert.equal(start.status, 302, start.text);
      assert.equal(new URL(start.location!).searchParams.get('scope'), 'openid email profile');
      const login = await browser.followUntil(start.location!, (t) => t.includes('/interaction/'));
      const callback = await browser.followUntil(`${login}?login=ada`, (t) =>
        t.startsWith(`${gateway.url}/sso/callback`),
      );
      const done = await browser.get(callback);
      assert.equal(done.status, 303, done.text);
      assert.equal(done.location, `${gateway.url}/x`);
      const user = await gateway.store.users.findByEmail('ada@acme.test');
      assert.ok(user !== undefined);
      // No groups claim was asked for or sent: no membership from the mapping.
      assert.deepEqual(await gateway.store.members.listForUser(user.id), []);
    } finally {
      await gateway.close();
      await idp?.close();
    }
  });
});
