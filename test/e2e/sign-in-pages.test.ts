/**
 * The sign-in pages over real HTTP with a real SQLite store: dashboard
 * sign-in, throttling, CSRF, first-run setup, invitations, security headers.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import {
  buildAuthorizeUrl,
  createCookieJar,
  findForm,
  registerClient,
  signInAndConsent,
} from '../support/cookie-jar.ts';
import type { CookieJar } from '../support/cookie-jar.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { startPages } from '../support/pages-app.ts';
import type { PagesApp } from '../support/pages-app.ts';

const PASSWORD = 'correct horse battery';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

async function signIn(app: PagesApp, email: string, password = PASSWORD) {
  const jar = createCookieJar();
  const page = await jar.get(`${app.url}/login`);
  const form = findForm(page.body, '/login');
  const answer = await jar.post(`${app.url}/login`, { ...form.fields, email, password });
  return { jar, answer };
}

describe('sign-in pages', () => {
  let app: PagesApp;
  before(async () => {
    app = await startPages([
      { email: 'ada@acme.test' },
      { email: 'bob@acme.test' },
      { email: 'locked@acme.test' },
    ]);
  });
  after(() => app.close());

  it('sends the security headers and no script on every page', async () => {
    const jar = createCookieJar();
    for (const target of ['/login', '/setup?token=nope', '/invitations/unknown-token-123456']) {
      const page = await jar.get(`${app.url}${target}`);
      assert.equal(
        page.headers['content-security-policy'],
        "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
        target,
      );
      assert.equal(page.headers['x-frame-options'], 'DENY');
      assert.equal(page.headers['referrer-policy'], 'no-referrer');
      assert.equal(page.headers['cache-control'], 'no-store');
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.doesNotMatch(page.body, /<script|\son\w+=|style="/i);
      assert.match(page.body, /<meta name="viewport"/);
    }
    const css = await jar.get(`${app.url}/sign-in/style.css`);
    assert.equal(css.status, 200);
    assert.match(String(css.headers['content-type']), /^text\/css/);
  });

  it('labels every visible input of the sign-in form', async () => {
    const page = await createCookieJar().get(`${app.url}/login`);
    for (const id of ['email', 'password']) {
      assert.match(page.body, new RegExp(`<label for="${id}">`));
      assert.match(page.body, new RegExp(`<input\\s+id="${id}"`));
    }
  });

  it('refuses a sign-in POST without a CSRF token and signs nobody in', async () => {
    const jar = createCookieJar();
    const answer = await jar.post(`${app.url}/login`, {
      email: 'ada@acme.test',
      password: PASSWORD,
    });
    assert.equal(answer.status, 403);
    assert.equal(answer.headers['set-cookie'], undefined);
    assert.equal(answer.headers['x-frame-options'], 'DENY');
  });

  it('refuses a sign-in POST with the token but a foreign Origin', async () => {
    const jar = createCookieJar();
    const form = findForm((await jar.get(`${app.url}/login`)).body, '/login');
    const answer = await jar.post(
      `${app.url}/login`,
      { ...form.fields, email: 'ada@acme.test', password: PASSWORD },
      { origin: 'https://evil.example' },
    );
    assert.equal(answer.status, 403);
    assert.equal(jar.cookiesFor(app.url).has('portcullis_session'), false);
  });

  it('answers a wrong password and an unknown email the same way', async () => {
    const wrong = await signIn(app, 'bob@acme.test', 'not the password');
    const unknown = await signIn(app, 'nobody@acme.test', 'not the password');
    assert.equal(wrong.answer.status, 401);
    assert.equal(unknown.answer.status, 401);
    const message = (body: string) => /<p class="error"[^>]*>([^<]*)</.exec(body)?.[1];
    assert.equal(message(wrong.answer.body), 'The email or password is incorrect.');
    assert.equal(message(unknown.answer.body), message(wrong.answer.body));
    assert.equal(wrong.jar.cookiesFor(app.url).has('portcullis_session'), false);
  });

  it('throttles an account after five failures without checking the password', async () => {
    for (let i = 0; i < 5; i += 1) {
      const { answer } = await signIn(app, 'locked@acme.test', `wrong ${i}`);
      assert.equal(answer.status, 401);
    }
    const { answer, jar } = await signIn(app, 'locked@acme.test', PASSWORD);
    assert.equal(answer.status, 429);
    assert.ok(Number(answer.headers['retry-after']) > 0);
    assert.equal(jar.cookiesFor(app.url).has('portcullis_session'), false);
  });

  it('signs in, stores only the hash of the session token, and continues to a local next', async () => {
    const jar = createCookieJar();
    const form = findForm((await jar.get(`${app.url}/login?next=/hub`)).body, '/login');
    assert.equal(form.fields.next, '/hub');
    const answer = await jar.post(`${app.url}/login`, {
      ...form.fields,
      email: 'ADA@acme.test',
      password: PASSWORD,
    });
    assert.equal(answer.status, 303);
    assert.equal(answer.location, `${app.url}/hub`);
    const setCookie = ([] as string[]).concat(answer.headers['set-cookie'] ?? []);
    const session = setCookie.find((cookie) => cookie.startsWith('portcullis_session='));
    assert.match(session ?? '', /; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    const token = jar.cookiesFor(app.url).get('portcullis_session') ?? '';
    assert.equal(Buffer.from(token, 'base64url').length, 32);
    assert.equal(await app.store.browserSessions.find(token), undefined);
    const stored = await app.store.browserSessions.find(sha256(token));
    assert.ok(stored !== undefined);
    const again = await jar.get(`${app.url}/login?next=/hub`);
    assert.equal(again.status, 303);
  });

  it('never continues to another origin after sign-in', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example', '/\\evil.example']) {
      const jar = createCookieJar();
      const page = await jar.get(`${app.url}/login?next=${encodeURIComponent(next)}`);
      const form = findForm(page.body, '/login');
      const answer = await jar.post(`${app.url}/login`, {
        ...form.fields,
        next,
        email: 'ada@acme.test',
        password: PASSWORD,
      });
      assert.equal(answer.location, `${app.url}/`, next);
    }
  });

  it('signs out only with the session CSRF token, and then forgets the session', async () => {
    const { jar } = await signIn(app, 'bob@acme.test');
    const token = jar.cookiesFor(app.url).get('portcullis_session') ?? '';
    const refused = await jar.post(`${app.url}/logout`, {});
    assert.equal(refused.status, 403);
    assert.ok((await app.store.browserSessions.find(sha256(token))) !== undefined);
    const stored = await app.store.browserSessions.find(sha256(token));
    const answer = await jar.post(`${app.url}/logout`, { csrf: stored?.csrfToken ?? '' });
    assert.equal(answer.status, 303);
    assert.equal(await app.store.browserSessions.find(sha256(token)), undefined);
    assert.equal(jar.cookiesFor(app.url).has('portcullis_session'), false);
  });
});

describe('first-run setup', () => {
  let app: PagesApp;
  before(async () => {
    app = await startPages([]);
  });
  after(() => app.close());

  it('answers 404 for a wrong token', async () => {
    const page = await createCookieJar().get(`${app.url}/setup?token=wrong`);
    assert.equal(page.status, 404);
    assert.equal((await createCookieJar().get(`${app.url}/setup`)).status, 404);
  });

  it('refuses a setup POST without a CSRF token and creates nobody', async () => {
    const link = app.setup.link(app.url) ?? '';
    const answer = await createCookieJar().post(link, {
      email: 'root@acme.test',
      password: PASSWORD,
      confirm: PASSWORD,
    });
    assert.equal(answer.status, 403);
    assert.equal(await app.store.users.count(), 0);
  });

  it('refuses short and mismatched passwords and a bad workspace id with the form again', async () => {
    const link = app.setup.link(app.url) ?? '';
    const jar = createCookieJar();
    const form = findForm((await jar.get(link)).body, '/setup');
    const cases: Record<string, string>[] = [
      { password: 'short', confirm: 'short' },
      { password: PASSWORD, confirm: `${PASSWORD}!` },
      { password: PASSWORD, confirm: PASSWORD, workspace_id: 'Not A Slug' },
      { password: PASSWORD, confirm: PASSWORD, email: 'not-an-email' },
    ];
    for (const fields of cases) {
      const answer = await jar.post(new URL(form.action, app.url).href, {
        ...form.fields,
        email: 'root@acme.test',
        ...fields,
      });
      assert.equal(answer.status, 400, JSON.stringify(fields));
      assert.match(answer.body, /class="error"/);
    }
    assert.equal(await app.store.users.count(), 0);
    assert.equal(app.setup.isOpen(), true);
  });

  it('creates the first administrator and workspace once, signs them in, then is gone', async () => {
    const link = app.setup.link(app.url) ?? '';
    const jar = createCookieJar();
    const form = findForm((await jar.get(link)).body, '/setup');
    const fields = {
      ...form.fields,
      email: 'root@acme.test',
      name: 'Root <b>',
      password: PASSWORD,
      confirm: PASSWORD,
      workspace_id: 'acme',
      workspace_name: 'Acme',
    };
    const [first, second] = await Promise.all([
      jar.post(new URL(form.action, app.url).href, fields),
      jar.post(new URL(form.action, app.url).href, fields),
    ]);
    assert.deepEqual([first.status, second.status].sort(), [303, 404]);
    const user = await app.store.users.findByEmail('root@acme.test');
    assert.equal(user?.isAdmin, true);
    assert.equal(user?.name, 'Root <b>');
    assert.equal((await app.store.members.find('acme', user?.id ?? ''))?.role, 'owner');
    assert.equal(await app.store.users.count(), 1);
    assert.ok(jar.cookiesFor(app.url).has('portcullis_session'));
    assert.equal((await jar.get(link)).status, 404);
    assert.equal(app.setup.link(app.url), undefined);
  });
});

describe('invitations', () => {
  let app: PagesApp;
  let inviter: string;
  before(async () => {
    app = await startPages([{ email: 'owner@acme.test' }, { email: 'existing@acme.test' }]);
    await app.store.workspaces.upsert({ id: 'acme', name: 'Acme & Co' });
    inviter = (await app.store.users.findByEmail('owner@acme.test'))?.id ?? '';
  });
  after(() => app.close());

  async function invite(email: string, token: string, expiresInMs = 3_600_000) {
    return app.store.invitations.create({
      workspaceId: 'acme',
      email,
      role: 'member',
      serverIds: ['everything'],
      tokenHash: sha256(token),
      invitedBy: inviter,
      expiresAt: new Date(Date.now() + expiresInMs),
    });
  }

  it('answers unknown, expired and revoked links with a clear page', async () => {
    const jar = createCookieJar();
    assert.equal((await jar.get(`${app.url}/invitations/unknown-token-1234567890`)).status, 404);
    await invite('late@acme.test', 'expired-token-1234567890', -1000);
    const expired = await jar.get(`${app.url}/invitations/expired-token-1234567890`);
    assert.equal(expired.status, 410);
    assert.match(expired.body, /expired/);
    const revoked = await invite('gone@acme.test', 'revoked-token-1234567890');
    await app.store.invitations.revoke(revoked.id, new Date());
    assert.equal((await jar.get(`${app.url}/invitations/revoked-token-1234567890`)).status, 410);
  });

  it('refuses a sign-up POST without a CSRF token and changes nothing', async () => {
    const invitation = await invite('csrf@acme.test', 'csrf-token-123456789012');
    const answer = await createCookieJar().post(`${app.url}/invitations/csrf-token-123456789012`, {
      password: PASSWORD,
      confirm: PASSWORD,
    });
    assert.equal(answer.status, 403);
    assert.equal(await app.store.users.findByEmail('csrf@acme.test'), undefined);
    assert.equal((await app.store.invitations.find(invitation.id))?.acceptedAt, null);
  });

  it('signs a new user up and joins them once, even when submitted twice at the same time', async () => {
    const url = `${app.url}/invitations/new-user-token-1234567890`;
    const invitation = await invite('new@acme.test', 'new-user-token-1234567890');
    const jar = createCookieJar();
    const page = await jar.get(url);
    assert.equal(page.status, 200);
    assert.match(page.body, /Join Acme &amp; Co/);
    const form = findForm(page.body);
    const short = await jar.post(url, { ...form.fields, password: 'short', confirm: 'short' });
    assert.equal(short.status, 400);
    const fields = { ...form.fields, name: 'New', password: PASSWORD, confirm: PASSWORD };
    const answers = await Promise.all([jar.post(url, fields), jar.post(url, fields)]);
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [303, 410]);
    const user = await app.store.users.findByEmail('new@acme.test');
    const member = await app.store.members.find('acme', user?.id ?? '');
    assert.equal(member?.role, 'member');
    assert.deepEqual(member?.serverIds, ['everything']);
    assert.ok((await app.store.invitations.find(invitation.id))?.acceptedAt instanceof Date);
    assert.equal((await createCookieJar().get(url)).status, 410);
  });

  it('sends an existing user through sign-in, then joins with one click', async () => {
    const url = `${app.url}/invitations/existing-token-1234567890`;
    await invite('existing@acme.test', 'existing-token-1234567890');
    const jar = createCookieJar();
    const first = await jar.get(url);
    assert.equal(first.status, 303);
    assert.equal(
      first.location,
      `${app.url}/login?next=${encodeURIComponent('/invitations/existing-token-1234567890')}`,
    );
    const login = findForm((await jar.get(first.location ?? '')).body, '/login');
    const signedIn = await jar.post(`${app.url}/login`, {
      ...login.fields,
      email: 'existing@acme.test',
      password: PASSWORD,
    });
    assert.equal(signedIn.location, url);
    const join = await jar.get(url);
    assert.match(join.body, /signed in as <strong>existing@acme.test<\/strong>/);
    const refused = await jar.post(url, {});
    assert.equal(refused.status, 403);
    const joined = await jar.post(url, findForm(join.body).fields);
    assert.equal(joined.status, 303);
    const user = await app.store.users.findByEmail('existing@acme.test');
    assert.equal((await app.store.members.find('acme', user?.id ?? ''))?.role, 'member');
  });

  it('does not let another signed-in account accept the invitation', async () => {
    const url = `${app.url}/invitations/other-token-12345678901`;
    const invitation = await invite('someone@acme.test', 'other-token-12345678901');
    const { jar } = await signIn(app, 'owner@acme.test');
    const page = await jar.get(url);
    assert.equal(page.status, 403);
    assert.match(page.body, /This invitation is for <strong>someone@acme.test/);
    const token = jar.cookiesFor(app.url).get('portcullis_session') ?? '';
    const session = await app.store.browserSessions.find(sha256(token));
    const answer = await jar.post(url, { csrf: session?.csrfToken ?? '' });
    assert.equal(answer.status, 403);
    assert.equal((await app.store.invitations.find(invitation.id))?.acceptedAt, null);
  });
});

describe('authorization sign-in and consent pages', () => {
  let app: PagesApp;
  const redirectUri = 'http://127.0.0.1:45678/callback';
  before(async () => {
    app = await startPages([
      { email: 'ada@acme.test' },
      { email: 'bob@acme.test' },
      { email: 'eve@acme.test' },
    ]);
    await app.store.workspaces.upsert({ id: 'acme', name: 'Acme' });
    const ada = await app.store.users.findByEmail('ada@acme.test');
    const bob = await app.store.users.findByEmail('bob@acme.test');
    await app.store.members.upsert({
      workspaceId: 'acme',
      userId: ada?.id ?? '',
      role: 'member',
      serverIds: null,
    });
    await app.store.members.upsert({
      workspaceId: 'acme',
      userId: bob?.id ?? '',
      role: 'member',
      serverIds: ['other'],
    });
  });
  after(() => app.close());

  const resource = () => `${app.url}/acme/everything/mcp`;

  async function start(jar: CookieJar, clientName = 'Test <client>') {
    const client = await registerClient(app.url, { redirectUri, clientName });
    const authorization = buildAuthorizeUrl(app.url, client, { resource: resource() });
    const page = await jar.followRedirects(authorization.url, {
      stop: (location) => !location.startsWith(app.url),
    });
    return { client, authorization, page };
  }

  async function postForm(
    jar: CookieJar,
    page: { body: string; url: string },
    fields: Record<string, string>,
  ) {
    const form = findForm(page.body);
    return jar.post(new URL(form.action, page.url).href, { ...form.fields, ...fields });
  }

  it('answers an unknown interaction with a 404 page', async () => {
    const page = await createCookieJar().get(`${app.url}/interaction/unknown-uid`);
    assert.equal(page.status, 404);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.match(page.body, /expired/);
  });

  it('signs in, asks consent naming the client, and redirects to the client with code, state and iss', async () => {
    const jar = createCookieJar();
    const { client, authorization, page } = await start(jar);
    assert.equal(page.status, 200);
    assert.match(page.body, /Sign in to continue to <strong>Test &lt;client&gt;<\/strong>/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    const consent = await jar.followRedirects(
      (await postForm(jar, page, { email: 'ada@acme.test', password: PASSWORD })).location ?? '',
    );
    assert.equal(consent.status, 200);
    assert.match(consent.body, /Allow Test &lt;client&gt; to use your MCP servers\?/);
    assert.match(consent.body, /<code>127\.0\.0\.1(:45678)?<\/code>/);
    assert.match(consent.body, /class="warning"/);
    assert.match(consent.body, /dynamic registration/);
    assert.match(consent.body, /<code>acme\/everything<\/code>/);
    assert.match(consent.body, /stay signed in/);
    assert.equal(
      consent.headers['content-security-policy'],
      "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
    );

    const forged = await jar.post(new URL(findForm(consent.body).action, app.url).href, {
      action: 'approve',
    });
    assert.equal(forged.status, 403);
    assert.equal(forged.location, undefined);

    const approved = await postForm(jar, consent, { action: 'approve' });
    const final = approved.location?.startsWith(app.url)
      ? (await jar.followRedirects(approved.location, { stop: (l) => !l.startsWith(app.url) }))
          .location
      : approved.location;
    const callback = new URL(final ?? '');
    assert.equal(`${callback.origin}${callback.pathname}`, redirectUri);
    assert.equal(callback.searchParams.get('state'), authorization.state);
    assert.equal(callback.searchParams.get('iss'), app.url);
    const code = callback.searchParams.get('code') ?? '';
    assert.ok(code.length > 10);

    const token = await request(`${app.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: client.clientId,
        code_verifier: authorization.codeVerifier,
        resource: resource(),
      }).toString(),
    });
    assert.equal(token.statusCode, 200, await token.body.text().catch(() => ''));
  });

  it('needs no second sign-in for another client in the same browser', async () => {
    const jar = createCookieJar();
    await signInAndConsent((await start(jar)).authorization.url, {
      email: 'ada@acme.test',
      password: PASSWORD,
      jar,
    });
    const { page } = await start(jar, 'Second client');
    assert.equal(page.status, 200);
    assert.match(page.body, /Allow Second client to use/);
    assert.doesNotMatch(page.body, /type="password"/);
  });

  it('returns an https client to its callback with a code at once on reconnect, and asks a loopback client again', async () => {
    const jar = createCookieJar();
    const claude = 'https://claude.ai/api/mcp/auth_callback';
    const clients = [
      await registerClient(app.url, { redirectUri: claude, clientName: 'Claude' }),
      { clientId: 'https://claude.ai/oauth/mcp-oauth-client-metadata', redirectUri: claude },
    ];
    for (const client of clients) {
      const first = buildAuthorizeUrl(app.url, client, { resource: resource() });
      await signInAndConsent(first.url, { email: 'ada@acme.test', password: PASSWORD, jar });
      const again = buildAuthorizeUrl(app.url, client, { resource: resource() });
      const hop = await jar.followRedirects(again.url, {
        stop: (location) => !location.startsWith(app.url),
      });
      const callback = new URL(hop.location ?? hop.url);
      assert.equal(`${callback.origin}${callback.pathname}`, claude, client.clientId);
      assert.ok(callback.searchParams.get('code'));
    }
    const loopback = await registerClient(app.url, { redirectUri });
    await signInAndConsent(buildAuthorizeUrl(app.url, loopback, { resource: resource() }).url, {
      email: 'ada@acme.test',
      password: PASSWORD,
      jar,
    });
    const page = await jar.followRedirects(
      buildAuthorizeUrl(app.url, loopback, { resource: resource() }).url,
      { stop: (location) => !location.startsWith(app.url) },
    );
    assert.equal(page.status, 200);
    assert.match(page.body, /Allow Test client to use/);
  });

  async function logout(jar: CookieJar) {
    const token = jar.cookiesFor(app.url).get('portcullis_session') ?? '';
    const session = await app.store.browserSessions.find(sha256(token));
    const out = await jar.post(`${app.url}/logout`, { csrf: session?.csrfToken ?? '' });
    assert.equal(out.status, 303);
  }

  it('asks for a sign-in again after signing out, even where consent is remembered', async () => {
    const jar = createCookieJar();
    const client = await registerClient(app.url, { redirectUri: 'https://app.example/cb' });
    await signInAndConsent(buildAuthorizeUrl(app.url, client, { resource: resource() }).url, {
      email: 'ada@acme.test',
      password: PASSWORD,
      jar,
    });
    await logout(jar);
    const page = await jar.followRedirects(
      buildAuthorizeUrl(app.url, client, { resource: resource() }).url,
      { stop: (location) => !location.startsWith(app.url) },
    );
    assert.equal(page.location, undefined, 'no code without a browser session');
    assert.equal(page.status, 200);
    assert.match(page.body, /type="password"/);
  });

  it('continues as the account the browser signed in to after switching accounts', async () => {
    const jar = createCookieJar();
    const other = `${app.url}/acme/other/mcp`;
    const client = await registerClient(app.url, { redirectUri: 'https://app.example/cb' });
    await signInAndConsent(buildAuthorizeUrl(app.url, client, { resource: other }).url, {
      email: 'ada@acme.test',
      password: PASSWORD,
      jar,
    });
    await logout(jar);
    const login = findForm((await jar.get(`${app.url}/login`)).body, '/login');
    await jar.post(`${app.url}/login`, {
      ...login.fields,
      email: 'bob@acme.test',
      password: PASSWORD,
    });
    const consent = await jar.followRedirects(
      buildAuthorizeUrl(app.url, client, { resource: other }).url,
      { stop: (location) => !location.startsWith(app.url) },
    );
    assert.equal(consent.status, 200, consent.body.slice(0, 300));
    assert.match(consent.body, /Allow Test client to use/);
    assert.match(consent.body, /bob@acme\.test/);
    const final = await signInAndConsent(
      buildAuthorizeUrl(app.url, client, { resource: other }).url,
      { email: 'bob@acme.test', password: PASSWORD, jar },
    );
    assert.ok(new URL(final).searchParams.get('code'), final);
  });

  it('drives a whole authorization with signInAndConsent', async () => {
    const client = await registerClient(app.url, { redirectUri });
    const authorization = buildAuthorizeUrl(app.url, client, { resource: resource() });
    const final = new URL(
      await signInAndConsent(authorization.url, { email: 'ada@acme.test', password: PASSWORD }),
    );
    assert.ok(final.searchParams.get('code'));
    assert.equal(final.searchParams.get('iss'), app.url);
    const denied = new URL(
      await signInAndConsent(buildAuthorizeUrl(app.url, client, { resource: resource() }).url, {
        email: 'ada@acme.test',
        password: PASSWORD,
        approve: false,
      }),
    );
    // Consent is remembered per (user, client): the second authorization may skip the page.
    assert.ok(
      denied.searchParams.get('code') !== null ||
        denied.searchParams.get('error') === 'access_denied',
    );
  });

  it('tells a member without access to the server so, and only lets them deny', async () => {
    const jar = createCookieJar();
    const { page } = await start(jar);
    const noAccess = await jar.followRedirects(
      (await postForm(jar, page, { email: 'bob@acme.test', password: PASSWORD })).location ?? '',
    );
    assert.equal(noAccess.status, 403);
    assert.match(noAccess.body, /has no access to\s+<code>acme\/everything<\/code>/);
    assert.doesNotMatch(noAccess.body, /value="approve"/);
    const forced = await postForm(jar, noAccess, { action: 'approve' });
    assert.equal(forced.status, 403);
    assert.equal(forced.location, undefined);
    const denied = await postForm(jar, noAccess, { action: 'deny' });
    const final = denied.location?.startsWith(app.url)
      ? (await jar.followRedirects(denied.location, { stop: (l) => !l.startsWith(app.url) }))
          .location
      : denied.location;
    const callback = new URL(final ?? '');
    assert.equal(callback.searchParams.get('error'), 'access_denied');
    assert.equal(callback.searchParams.get('iss'), app.url);
    assert.equal(callback.searchParams.get('code'), null);
  });

  it('does not show consent to a browser signed in as another account than the authorization', async () => {
    const jar = createCookieJar();
    const { page } = await start(jar);
    const consent = await jar.followRedirects(
      (await postForm(jar, page, { email: 'ada@acme.test', password: PASSWORD })).location ?? '',
    );
    assert.match(consent.body, /Allow Test/);
    const adaToken = jar.cookiesFor(app.url).get('portcullis_session') ?? '';
    const adaSession = await app.store.browserSessions.find(sha256(adaToken));
    await jar.post(`${app.url}/logout`, { csrf: adaSession?.csrfToken ?? '' });
    const login = findForm((await jar.get(`${app.url}/login`)).body, '/login');
    await jar.post(`${app.url}/login`, {
      ...login.fields,
      email: 'eve@acme.test',
      password: PASSWORD,
    });

    const again = await jar.get(consent.url);
    assert.equal(again.status, 200);
    assert.match(again.body, /signed in as <strong>eve@acme.test<\/strong>/);
    assert.doesNotMatch(again.body, /value="approve"/);
    const eveToken = jar.cookiesFor(app.url).get('portcullis_session') ?? '';
    const eveSession = await app.store.browserSessions.find(sha256(eveToken));
    const forced = await jar.post(new URL(findForm(consent.body).action, app.url).href, {
      csrf: eveSession?.csrfToken ?? '',
      action: 'approve',
    });
    assert.equal(forced.status, 403);
    assert.equal(forced.location, undefined);
  });
});

describe('single sign-on link', () => {
  let plain: PagesApp;
  let withSso: PagesApp;
  before(async () => {
    plain = await startPages([{ email: 'ada@acme.test' }]);
    withSso = await startPages([{ email: 'ada@acme.test' }], PASSWORD, {
      sso: {
        label: 'Acme <IdP>',
        loginUrl: (next = '/') => `/sso/start?next=${encodeURIComponent(next)}&x=1`,
      },
    });
  });
  after(async () => {
    await plain.close();
    await withSso.close();
  });

  async function interactionPage(app: PagesApp) {
    const client = await registerClient(app.url, { redirectUri: 'https://app.example/cb' });
    const authorization = buildAuthorizeUrl(app.url, client, {
      resource: `${app.url}/acme/everything/mcp`,
    });
    return createCookieJar().followRedirects(authorization.url, {
      stop: (location) => !location.startsWith(app.url),
    });
  }

  it('shows "Sign in with <label>" on both sign-in pages, escaped, returning where it started', async () => {
    const login = await createCookieJar().get(`${withSso.url}/login?next=/dashboard`);
    assert.match(
      login.body,
      /<a href="\/sso\/start\?next=%2Fdashboard&amp;x=1">Sign in with Acme &lt;IdP&gt;<\/a>/,
    );
    const page = await interactionPage(withSso);
    const uid = new URL(page.url).pathname.split('/').pop() ?? '';
    assert.match(page.body, /type="password"/);
    assert.ok(
      page.body.includes(
        `<a href="/sso/start?next=${encodeURIComponent(`/interaction/${uid}`)}&amp;x=1">Sign in with Acme &lt;IdP&gt;</a>`,
      ),
      page.body,
    );
  });

  it('shows no single sign-on link when none is configured', async () => {
    assert.doesNotMatch((await createCookieJar().get(`${plain.url}/login`)).body, /Sign in with/);
    const page = await interactionPage(plain);
    assert.match(page.body, /type="password"/);
    assert.doesNotMatch(page.body, /Sign in with/);
  });
});

describe('sign-in pages in the whole gateway', () => {
  let gateway: TestGateway;
  let upstream: RunningFixtureServer;
  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [
        { id: 'everything', url: upstream.url },
        { id: 'other', url: upstream.url },
      ],
      users: [
        { email: 'ada@acme.test', password: PASSWORD, role: 'member' },
        { email: 'bob@acme.test', password: PASSWORD, role: 'member', servers: ['other'] },
      ],
    });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('sends the page security headers from the gateway too', async () => {
    const page = await createCookieJar().get(`${gateway.url}/login`);
    assert.equal(page.status, 200);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.match(String(page.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.doesNotMatch(String(page.headers['content-security-policy']), /form-action/);
  });

  it('authorizes a member for a server they may reach', async () => {
    const client = await registerClient(gateway.url, { redirectUri: 'http://127.0.0.1:45679/cb' });
    const authorization = buildAuthorizeUrl(gateway.url, client, {
      resource: gateway.endpoint('everything'),
    });
    const callback = new URL(
      await signInAndConsent(authorization.url, { email: 'ada@acme.test', password: PASSWORD }),
    );
    assert.ok(callback.searchParams.get('code'));
    assert.equal(callback.searchParams.get('iss'), gateway.url);
  });

  it('refuses consent to a member restricted to other servers', async () => {
    const client = await registerClient(gateway.url, { redirectUri: 'http://127.0.0.1:45679/cb' });
    const authorization = buildAuthorizeUrl(gateway.url, client, {
      resource: gateway.endpoint('everything'),
    });
    await assert.rejects(
      signInAndConsent(authorization.url, { email: 'bob@acme.test', password: PASSWORD }),
      /no access: .*acme\/everything/,
    );
    const denied = new URL(
      await signInAndConsent(authorization.url, {
        email: 'bob@acme.test',
        password: PASSWORD,
        approve: false,
      }),
    );
    assert.equal(denied.searchParams.get('error'), 'access_denied');
  });
});
