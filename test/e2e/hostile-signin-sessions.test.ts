/**
 * Browser sessions against a whole gateway over real HTTP: a session id
 * planted before sign-in never becomes signed in, the cookie's flags, a
 * signed-out cookie replayed, and the ways a user's other sessions must end
 * (a password change, the user's deletion).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCookieJar, findForm } from '../support/cookie-jar.ts';
import type { CookieJar } from '../support/cookie-jar.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';

const COOKIE = 'portcullis_session';
const ROOT = { email: 'root@acme.test', password: 'root has a long password', admin: true };
const GUS = { email: 'gus@acme.test', password: 'gus has a long password' };
const HAL = { email: 'hal@acme.test', password: 'hal has a long password' };
const IVY = { email: 'ivy@acme.test', password: 'ivy has a long password' };
const JOE = { email: 'joe@acme.test', password: 'joe has a long password' };

describe('browser sessions', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;

  async function signIn(
    user: { email: string; password: string },
    jar: CookieJar = createCookieJar(),
  ) {
    const page = await jar.get(`${gateway.url}/login`);
    const form = findForm(page.body, '/login');
    const answer = await jar.post(`${gateway.url}/login`, { ...form.fields, ...user });
    assert.equal(answer.status, 303, answer.body);
    return { jar, answer };
  }

  /** GET /api/v1/me with only this session cookie. */
  async function me(token: string): Promise<{ status: number; csrfToken?: string }> {
    const answer = await fetch(`${gateway.url}/api/v1/me`, {
      headers: { cookie: `${COOKIE}=${token}` },
    });
    const body = (await answer.json()) as { csrfToken?: string };
    return { status: answer.status, csrfToken: body.csrfToken };
  }

  async function apiWrite(token: string, method: string, path: string, body?: unknown) {
    const { csrfToken } = await me(token);
    return fetch(`${gateway.url}/api/v1${path}`, {
      method,
      headers: {
        cookie: `${COOKIE}=${token}`,
        'x-csrf-token': csrfToken ?? '',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  const sessionOf = (jar: CookieJar) => jar.cookiesFor(gateway.url).get(COOKIE) ?? '';

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [{ id: 'fixture', url: upstream.url }],
      users: [
        { ...ROOT, role: 'owner' },
        { ...GUS, role: 'member' },
        { ...HAL, role: 'member' },
        { ...IVY, role: 'member' },
        { ...JOE, role: 'member' },
      ],
    });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('never signs in a session id planted before sign-in', async () => {
    const jar = createCookieJar();
    const planted = Buffer.alloc(32, 7).toString('base64url');
    jar.set(gateway.url, COOKIE, planted);
    await signIn(GUS, jar);
    const issued = sessionOf(jar);
    assert.notEqual(issued, planted);
    assert.equal((await me(planted)).status, 401);
    assert.equal((await me(issued)).status, 200);
  });

  it('issues a fresh session id on a second sign-in and ends the first', async () => {
    const { jar } = await signIn(GUS);
    const first = sessionOf(jar);
    // Signed in, /login redirects; its form posted again carries the session's CSRF token.
    const again = await jar.post(`${gateway.url}/login`, {
      csrf: (await me(first)).csrfToken ?? '',
      next: '/',
      ...GUS,
    });
    assert.equal(again.status, 303, again.body);
    const second = sessionOf(jar);
    assert.notEqual(second, first);
    assert.equal((await me(first)).status, 401);
    assert.equal((await me(second)).status, 200);
  });

  it('sets the session cookie HttpOnly, SameSite=Lax, host-wide, and not Secure on http', async () => {
    const { answer } = await signIn(GUS);
    const cookies = [answer.headers['set-cookie'] ?? []].flat();
    const session = cookies.find((cookie) => cookie.startsWith(`${COOKIE}=`) && !/=;/.test(cookie));
    assert.ok(session, JSON.stringify(cookies));
    assert.match(session, /; HttpOnly(;|$)/);
    assert.match(session, /; SameSite=Lax(;|$)/);
    assert.match(session, /; Path=\/(;|$)/);
    assert.doesNotMatch(session, /Domain=/i);
    assert.doesNotMatch(session, /Secure/);
  });

  it('refuses a signed-out cookie replayed, for pages and the API alike', async () => {
    const { jar } = await signIn(GUS);
    const token = sessionOf(jar);
    const { csrfToken } = await me(token);
    const out = await jar.post(`${gateway.url}/logout`, { csrf: csrfToken ?? '' });
    assert.equal(out.status, 303);
    assert.equal((await me(token)).status, 401);
    const page = await fetch(`${gateway.url}/login`, {
      headers: { cookie: `${COOKIE}=${token}` },
      redirect: 'manual',
    });
    assert.equal(page.status, 200, 'the sign-in form again, not a redirect as signed in');
  });

  it("ends the user's other sessions when they change their password, keeping the one that changed it", async () => {
    const here = sessionOf((await signIn(HAL)).jar);
    const elsewhere = sessionOf((await signIn(HAL)).jar);
    const changed = await apiWrite(here, 'POST', '/me/password', {
      currentPassword: HAL.password,
      newPassword: 'hal has a new long password',
    });
    assert.equal(changed.status, 204, await changed.text());
    assert.equal((await me(elsewhere)).status, 401, 'the other session is over');
    assert.equal((await me(here)).status, 200, 'the session that changed it stays');
  });

  it('throttles guesses of the current password on a password change like sign-ins', async () => {
    // A stolen session cookie must not buy unlimited guesses at the password behind it.
    const token = sessionOf((await signIn(JOE)).jar);
    const statuses: number[] = [];
    for (let guess = 0; guess < 8; guess += 1) {
      const answer = await apiWrite(token, 'POST', '/me/password', {
        currentPassword: `guess number ${guess}`,
        newPassword: 'joe wants a new long password',
      });
      statuses.push(answer.status);
      await answer.arrayBuffer();
    }
    assert.deepEqual(statuses.slice(0, 5), [403, 403, 403, 403, 403]);
    assert.deepEqual(statuses.slice(5), [429, 429, 429]);
    // Throttled, even the right password is not checked, and the sign-in form is locked too.
    const right = await apiWrite(token, 'POST', '/me/password', {
      currentPassword: JOE.password,
      newPassword: 'joe wants a new long password',
    });
    assert.equal(right.status, 429);
    assert.ok(Number(right.headers.get('retry-after')) > 0);
    const jar = createCookieJar();
    const page = await jar.get(`${gateway.url}/login`);
    const locked = await jar.post(`${gateway.url}/login`, {
      ...findForm(page.body, '/login').fields,
      ...JOE,
    });
    assert.equal(locked.status, 429);
  });

  it("ends a deleted user's sessions", async () => {
    const victim = sessionOf((await signIn(IVY)).jar);
    const root = sessionOf((await signIn(ROOT)).jar);
    const { user } = (await (
      await fetch(`${gateway.url}/api/v1/me`, { headers: { cookie: `${COOKIE}=${victim}` } })
    ).json()) as { user: { id: string } };
    assert.equal((await apiWrite(root, 'DELETE', `/users/${user.id}`)).status, 204);
    assert.equal((await me(victim)).status, 401);
  });
});
