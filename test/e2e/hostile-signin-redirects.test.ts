/**
 * Where sign-in and sign-out may send a browser, and what a cross-site form
 * can do with a signed-in browser's cookie, against a whole gateway over
 * real HTTP.
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
const KIM = { email: 'kim@acme.test', password: 'kim has a long password' };

/** `next` values a browser could resolve to another origin, once decoded or normalised. */
const HOSTILE_NEXT = [
  '/%2F%2Fevil.example',
  '/%2f/evil.example',
  '/%5Cevil.example',
  '/%5C%5Cevil.example',
  '/\\evil.example',
  '\\/evil.example',
  '/@evil.example',
  '@evil.example',
  'https:evil.example',
  '/\u0000//evil.example',
  ' //evil.example',
  '/\u2215\u2215evil.example',
  '/\uff0f\uff0fevil.example',
  '/ā',
  '/%0d%0aSet-Cookie:%20x=1',
];

describe('sign-in redirects and cross-site forms', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;

  function sameOrigin(location: string | undefined): boolean {
    assert.ok(location !== undefined, 'a redirect');
    return new URL(location, gateway.url).origin === new URL(gateway.url).origin;
  }

  async function signIn(jar: CookieJar, next: string) {
    const page = await jar.get(`${gateway.url}/login`);
    const form = findForm(page.body, '/login');
    return jar.post(`${gateway.url}/login`, { ...form.fields, ...KIM, next });
  }

  async function session(): Promise<{ jar: CookieJar; token: string; csrf: string }> {
    const jar = createCookieJar();
    assert.equal((await signIn(jar, '/')).status, 303);
    const token = jar.cookiesFor(gateway.url).get(COOKIE) ?? '';
    const me = await fetch(`${gateway.url}/api/v1/me`, {
      headers: { cookie: `${COOKIE}=${token}` },
    });
    const { csrfToken } = (await me.json()) as { csrfToken: string };
    return { jar, token, csrf: csrfToken };
  }

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [{ id: 'fixture', url: upstream.url }],
      users: [{ ...KIM, role: 'admin' }],
    });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('keeps every next of a sign-in on the gateway, and answers each with a redirect', async () => {
    for (const next of HOSTILE_NEXT) {
      const answer = await signIn(createCookieJar(), next);
      assert.equal(answer.status, 303, `${JSON.stringify(next)}: ${answer.body}`);
      assert.ok(sameOrigin(answer.location), `${JSON.stringify(next)} → ${answer.location}`);
    }
  });

  it('keeps every next on the gateway when already signed in and after sign-out', async () => {
    const { jar, csrf } = await session();
    for (const next of HOSTILE_NEXT) {
      const signedIn = await jar.get(`${gateway.url}/login?next=${encodeURIComponent(next)}`);
      assert.ok(
        [200, 303].includes(signedIn.status),
        `${JSON.stringify(next)}: ${signedIn.status}`,
      );
      if (signedIn.status === 303)
        assert.ok(sameOrigin(signedIn.location), `${JSON.stringify(next)} → ${signedIn.location}`);
    }
    for (const next of [...HOSTILE_NEXT.slice(0, 4), '/ā']) {
      const current = next === HOSTILE_NEXT[0] ? { jar, csrf } : await session();
      const out = await current.jar.post(`${gateway.url}/logout`, { csrf: current.csrf, next });
      assert.equal(out.status, 303, JSON.stringify(next));
      assert.ok(sameOrigin(out.location), `${JSON.stringify(next)} → ${out.location}`);
    }
  });

  it('refuses a cross-site sign-out form, which carries no token, and keeps the session', async () => {
    const { token } = await session();
    const answer = await fetch(`${gateway.url}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie: `${COOKIE}=${token}`,
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'next=%2F',
    });
    assert.equal(answer.status, 403);
    const me = await fetch(`${gateway.url}/api/v1/me`, {
      headers: { cookie: `${COOKIE}=${token}` },
    });
    assert.equal(me.status, 200);
  });

  it('refuses cookie-authenticated admin API writes sent as cross-site forms, changing nothing', async () => {
    const { token } = await session();
    const before = await fetch(`${gateway.url}/api/v1/workspaces/acme/servers`, {
      headers: { cookie: `${COOKIE}=${token}` },
    }).then((answer) => answer.text());
    const body = JSON.stringify({
      id: 'planted',
      name: 'planted',
      transport: 'http',
      url: 'http://127.0.0.1:9/mcp',
    });
    for (const [method, path, type] of [
      ['POST', '/workspaces/acme/servers', 'text/plain'],
      ['POST', '/workspaces/acme/servers', 'application/x-www-form-urlencoded'],
      ['POST', '/workspaces/acme/api-keys', 'text/plain'],
      ['PUT', '/workspaces/acme/servers/planted', 'text/plain'],
      ['DELETE', '/workspaces/acme/servers/fixture', 'text/plain'],
    ] as const) {
      const answer = await fetch(`${gateway.url}/api/v1${path}`, {
        method,
        headers: {
          cookie: `${COOKIE}=${token}`,
          origin: 'https://evil.example',
          'sec-fetch-site': 'cross-site',
          'content-type': type,
        },
        body,
      });
      assert.equal(answer.status, 403, `${method} ${path} ${type}`);
      assert.equal(((await answer.json()) as { error: string }).error, 'csrf_failed');
    }
    const after = await fetch(`${gateway.url}/api/v1/workspaces/acme/servers`, {
      headers: { cookie: `${COOKIE}=${token}` },
    }).then((answer) => answer.text());
    assert.equal(after, before);
  });
});
