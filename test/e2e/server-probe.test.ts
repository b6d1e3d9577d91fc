/**
 * Test connection and live capabilities through a real gateway: a
 * definition tested before it is saved (Streamable HTTP to the fixture
 * server, stdio to the published server-everything, whose process must be
 * gone once the answer is in), and a saved server's capabilities as a
 * manager and a member see them, with a disabled tool and a per-user
 * upstream OAuth connection.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startOAuthUpstream } from '../fixtures/oauth-upstream/oauth-upstream.ts';
import type { RunningOAuthUpstream } from '../fixtures/oauth-upstream/oauth-upstream.ts';
import { childPids } from '../support/child-processes.ts';
import { createCookieJar, findForm } from '../support/cookie-jar.ts';
import type { CookieJar } from '../support/cookie-jar.ts';
import { freePort } from '../support/free-port.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';

const PASSWORD = 'correct horse battery staple';
const everything = fileURLToPath(
  import.meta.resolve('@modelcontextprotocol/server-everything/dist/index.js'),
);
const TEST = '/workspaces/acme/servers/test';

let fixture: RunningFixtureServer;
let oauthUpstream: RunningOAuthUpstream;
let gw: TestGateway;
const jars = new Map<string, CookieJar>();

/** The fields these tests read from the API's answers. */
interface Body {
  ok?: boolean;
  view?: string;
  error?: string | { code: string; message: string };
  connect_url?: string;
  issues?: { path: string }[];
  tools: { name: string; state?: string }[];
  resources: unknown[];
  prompts: unknown[];
}
interface Answer {
  status: number;
  json: Body;
}

async function withKey(method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await request(`${gw.url}/api/v1${path}`, {
    method: method as 'GET',
    headers: {
      authorization: `Bearer ${gw.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.statusCode, json: (await response.body.json()) as Body };
}

const cookieOf = (jar: CookieJar) =>
  [...jar.cookiesFor(`${gw.url}/api/v1`)].map(([name, value]) => `${name}=${value}`).join('; ');

/** Signs `name`@acme.test in through the login page (once) and calls the API with that session. */
async function asUser(name: string, method: string, path: string, body?: unknown): Promise<Answer> {
  let jar = jars.get(name);
  if (jar === undefined) {
    jar = createCookieJar();
    const page = await jar.get(`${gw.url}/login`);
    const form = findForm(page.body, '/login');
    const signedIn = await jar.post(
      `${gw.url}/login`,
      { ...form.fields, email: `${name}@acme.test`, password: PASSWORD },
      { origin: gw.url },
    );
    assert.equal(signedIn.status, 303, signedIn.body);
    jars.set(name, jar);
  }
  const me = await request(`${gw.url}/api/v1/me`, { headers: { cookie: cookieOf(jar) } });
  const { csrfToken } = (await me.body.json()) as { csrfToken: string };
  const response = await request(`${gw.url}/api/v1${path}`, {
    method: method as 'GET',
    headers: {
      cookie: cookieOf(jar),
      'x-csrf-token': csrfToken,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.statusCode, json: (await response.body.json()) as Body };
}

const names = (items: { name: string }[]) => items.map((item) => item.name);

before(async () => {
  fixture = await startFixtureServer({ era: 'dual' });
  oauthUpstream = await startOAuthUpstream({ subjects: ['alice'] });
  gw = await startTestGateway({
    servers: [
      { id: 'fixture', url: fixture.url },
      {
        id: 'mine',
        url: oauthUpstream.mcpUrl,
        upstream_auth: { mode: 'oauth', oauth: { grant: 'per_user' } },
      },
    ],
    users: [
      { email: 'root@acme.test', password: PASSWORD, admin: true },
      { email: 'alice@acme.test', password: PASSWORD, role: 'member' },
    ],
  });
});
after(async () => {
  await gw?.close();
  await fixture?.close();
  await oauthUpstream?.close();
});

describe('test connection', () => {
  it('lists what an http upstream would expose, without saving the server', async () => {
    const answer = await withKey('POST', TEST, {
      id: 'trial',
      transport: 'http',
      url: fixture.url,
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.json.ok, true, JSON.stringify(answer.json));
    assert.ok(names(answer.json.tools).includes('test_simple_text'));
    assert.ok(answer.json.prompts.length > 0);
    const saved = await withKey('GET', '/workspaces/acme/servers/trial');
    assert.equal(saved.status, 404);
  });

  it('starts a stdio server for the test and stops it before answering', async () => {
    const answer = await asUser('root', 'POST', TEST, {
      id: 'everything',
      transport: 'stdio',
      command: process.execPath,
      args: [everything, 'stdio'],
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.json.ok, true, JSON.stringify(answer.json));
    assert.ok(names(answer.json.tools).includes('echo'), names(answer.json.tools).join());
    assert.ok(answer.json.resources.length > 0);
    assert.deepEqual(childPids(everything), []);
  });

  it('answers ok: false for a stdio command that exits at once, leaving no process', async () => {
    const answer = await asUser('root', 'POST', TEST, {
      id: 'broken',
      transport: 'stdio',
      command: process.execPath,
      args: ['-e', 'process.exit(3)', everything],
      timeout_ms: 5000,
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.json.ok, false);
    assert.deepEqual(childPids(everything), []);
  });

  it('answers ok: false quickly when nothing listens at the URL', async () => {
    const port = await freePort();
    const started = Date.now();
    const answer = await withKey('POST', TEST, {
      id: 'trial',
      transport: 'http',
      url: `http://127.0.0.1:${port}/mcp`,
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.json.ok, false);
    assert.equal((answer.json.error as { code: string }).code, 'upstream_unavailable');
    assert.ok(Date.now() - started < 3000);
  });

  it('refuses a malformed definition with 400 and the field paths', async () => {
    const answer = await withKey('POST', TEST, { id: 'trial', transport: 'carrier-pigeon' });
    assert.equal(answer.status, 400);
    assert.ok(
      answer.json.issues?.some((issue) => issue.path === 'body.transport'),
      JSON.stringify(answer.json),
    );
  });

  it('refuses a member', async () => {
    const answer = await asUser('alice', 'POST', TEST, {
      id: 'trial',
      transport: 'http',
      url: fixture.url,
    });
    assert.equal(answer.status, 403);
  });
});

describe('live capabilities', () => {
  it('shows a tool the admin disabled as disabled to admins and hides it from members', async () => {
    const policy = await withKey('PUT', '/workspaces/acme/servers/fixture/policy', {
      tools: { test_simple_text: { enabled: false } },
    });
    assert.equal(policy.status, 200, JSON.stringify(policy.json));
    const admin = await withKey('GET', '/workspaces/acme/servers/fixture/capabilities');
    assert.equal(admin.status, 200, JSON.stringify(admin.json));
    assert.equal(admin.json.view, 'manager');
    const simple = admin.json.tools.find(
      (tool: { name: string }) => tool.name === 'test_simple_text',
    );
    assert.equal(simple?.state, 'disabled');
    const member = await asUser('alice', 'GET', '/workspaces/acme/servers/fixture/capabilities');
    assert.equal(member.status, 200);
    assert.equal(member.json.view, 'member');
    assert.ok(!names(member.json.tools).includes('test_simple_text'));
    assert.ok(names(member.json.tools).includes('test_image_content'));
  });

  it("needs the member's own upstream connection first, then lists with it", async () => {
    const before = await asUser('alice', 'GET', '/workspaces/acme/servers/mine/capabilities');
    assert.equal(before.status, 409, JSON.stringify(before.json));
    assert.equal(before.json.error, 'connection_required');
    assert.match(before.json.connect_url ?? '', /\/connections\/acme\/mine\/connect$/);

    const jar = jars.get('alice')!;
    const start = await jar.get(`${gw.url}/connections/acme/mine/connect`);
    assert.equal(start.status, 303, start.body);
    const callback = await oauthUpstream.approve(start.location!, { subject: 'alice' });
    const done = await jar.get(callback);
    assert.equal(done.status, 200, done.body);

    const after = await asUser('alice', 'GET', '/workspaces/acme/servers/mine/capabilities');
    assert.equal(after.status, 200, JSON.stringify(after.json));
    assert.deepEqual(names(after.json.tools).sort(), ['echo', 'whoami']);
  });
});
