/**
 * Upstream OAuth through real traffic: a gateway in front of an
 * OAuth-protected MCP upstream with its own authorization server
 * (test/fixtures/oauth-upstream). Members connect their upstream accounts
 * through the gateway's browser routes; MCP calls carry the owner's
 * upstream token; missing and broken grants answer with the connect URL
 * (or a URL elicitation); the sign-in of a client chains into the
 * upstream's consent; no upstream token is readable in the database.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import {
  ACCESS_TOKEN_PURPOSE,
  REFRESH_TOKEN_PURPOSE,
} from '../../src/auth/upstream-credentials/connections-context.ts';
import { createVault } from '../../src/auth/upstream-credentials/vault.ts';
import { createStore } from '../../src/store/create-store.ts';
import { SQLITE_FILE_NAME } from '../../src/store/store-options.ts';
import { startOAuthUpstream } from '../fixtures/oauth-upstream/oauth-upstream.ts';
import type { RunningOAuthUpstream } from '../fixtures/oauth-upstream/oauth-upstream.ts';
import {
  buildAuthorizeUrl,
  createCookieJar,
  findForm,
  registerClient,
  signInAndConsent,
} from '../support/cookie-jar.ts';
import type { CookieJar } from '../support/cookie-jar.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { connectClient } from '../support/sdk-client.ts';

const PASSWORD = 'correct horse battery staple';
const SECRET_KEY = crypto.randomBytes(32).toString('base64url');
const SUBJECTS = ['alice', 'bob', 'carol', 'dave', 'erin'];

let upstream: RunningOAuthUpstream;
let gw: TestGateway;

const oauth = (grant: string) => ({ mode: 'oauth', oauth: { grant } });

before(async () => {
  // 64 s tokens: fresh (more than the 60 s refresh margin left) for 4 s only.
  upstream = await startOAuthUpstream({ subjects: SUBJECTS, accessTokenTtlSeconds: 64 });
  gw = await startTestGateway({
    servers: [
      { id: 'mine', url: upstream.mcpUrl, upstream_auth: oauth('per_user') },
      { id: 'team', url: upstream.mcpUrl, upstream_auth: oauth('shared') },
      { id: 'robot', url: upstream.mcpUrl, upstream_auth: oauth('client_credentials') },
    ],
    users: [
      { email: 'alice@acme.test', password: PASSWORD, role: 'member' },
      { email: 'bob@acme.test', password: PASSWORD, role: 'member' },
      { email: 'carol@acme.test', password: PASSWORD, role: 'admin' },
      { email: 'dave@acme.test', password: PASSWORD, role: 'member' },
      { email: 'erin@acme.test', password: PASSWORD, role: 'member' },
    ],
    env: { PORTCULLIS_SECRET_KEY: SECRET_KEY },
  });
});
after(async () => {
  await gw?.close();
  await upstream?.close();
});

interface Member {
  jar: CookieJar;
  apiKey: string;
}
const members = new Map<string, Member>();

function cookieHeader(jar: CookieJar, url: string): string {
  return [...jar.cookiesFor(url)].map(([name, value]) => `${name}=${value}`).join('; ');
}

async function api(member: Member, method: string, apiPath: string, body?: unknown) {
  const url = `${gw.url}/api/v1${apiPath}`;
  const me = await request(`${gw.url}/api/v1/me`, {
    headers: { cookie: cookieHeader(member.jar, url) },
  });
  const { csrfToken } = (await me.body.json()) as { csrfToken: string };
  const response = await request(url, {
    method: method as 'GET',
    headers: {
      cookie: cookieHeader(member.jar, url),
      'x-csrf-token': csrfToken,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, text, json: text === '' ? undefined : JSON.parse(text) };
}

/** Signs `name`@acme.test in to the gateway's pages and gives them an API key. */
async function member(name: string): Promise<Member> {
  const known = members.get(name);
  if (known !== undefined) return known;
  const jar = createCookieJar();
  const page = await jar.get(`${gw.url}/login`);
  const form = findForm(page.body, '/login');
  const signedIn = await jar.post(
    `${gw.url}/login`,
    { ...form.fields, email: `${name}@acme.test`, password: PASSWORD },
    { origin: gw.url },
  );
  assert.equal(signedIn.status, 303, signedIn.body);
  const partial = { jar, apiKey: '' };
  const created = await api(partial, 'POST', '/workspaces/acme/api-keys', { name: `${name}-key` });
  assert.equal(created.status, 201, created.text);
  const made = { jar, apiKey: (created.json as { key: string }).key };
  members.set(name, made);
  return made;
}

/** Connects `name`'s upstream account for `serverId`, signing in upstream as `subject`. */
async function connect(name: string, serverId: string, subject: string): Promise<void> {
  const { jar } = await member(name);
  const start = await jar.get(`${gw.url}/connections/acme/${serverId}/connect`);
  assert.equal(start.status, 303, start.body);
  assert.ok(start.location?.startsWith(upstream.issuer), start.location);
  const callback = await upstream.approve(start.location!, { subject });
  assert.ok(callback.startsWith(`${gw.url}/oauth/upstream/callback?`), callback);
  const done = await jar.get(callback);
  assert.equal(done.status, 200, done.body);
  assert.match(done.body, /Connected/);
}

/** The upstream subject (or client) the gateway's calls for `name` reach the upstream as. */
async function whoami(
  name: string,
  serverId: string,
  mode: 'legacy' | 'auto' = 'legacy',
): Promise<{ sub: string | null; client_id: string }> {
  const { apiKey } = await member(name);
  const client = await connectClient({ ...gw, apiKey }, serverId, { mode });
  try {
    const result = (await client.callTool({ name: 'whoami', arguments: {} })) as {
      content: { text: string }[];
    };
    return JSON.parse(result.content[0]!.text) as { sub: string | null; client_id: string };
  } finally {
    await client.close();
  }
}

/** A raw `initialize` (the first upstream call) by `name` with the given client capabilities. */
async function initialize(name: string, serverId: string, capabilities: object = {}) {
  const { apiKey } = await member(name);
  const response = await request(gw.endpoint(serverId), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities,
        clientInfo: { name: 'raw', version: '1' },
      },
    }),
  });
  const text = await response.body.text();
  const json = (
    text.startsWith('{') ? JSON.parse(text) : JSON.parse(/^data: (.*)$/m.exec(text)![1]!)
  ) as {
    result?: unknown;
    error?: { code: number; message: string; data: Record<string, unknown> };
  };
  return { status: response.statusCode, ...json };
}

describe('upstream OAuth: per_user', () => {
  it("gives each member's calls their own upstream account", async () => {
    await connect('alice', 'mine', 'alice');
    await connect('bob', 'mine', 'bob');
    assert.equal((await whoami('alice', 'mine')).sub, 'alice');
    assert.equal((await whoami('bob', 'mine')).sub, 'bob');
    assert.equal((await whoami('alice', 'mine')).sub, 'alice');
  });

  it('carries the token when the client negotiates its era (auto)', async () => {
    assert.equal((await whoami('alice', 'mine', 'auto')).sub, 'alice');
    assert.equal((await whoami('bob', 'mine', 'auto')).sub, 'bob');
  });

  it('answers a member without a connection with a JSON-RPC error naming the connect URL', async () => {
    const answer = await initialize('erin', 'mine');
    assert.equal(answer.status, 200);
    assert.equal(answer.error?.code, -32003);
    assert.equal(answer.error?.data.reason, 'upstream_connection_required');
    assert.equal(answer.error?.data.connect_url, `${gw.url}/connections/acme/mine/connect`);
    assert.match(answer.error?.message ?? '', /connections\/acme\/mine\/connect/);
  });

  it('answers a client that declared elicitation.url with a URL elicitation (-32042)', async () => {
    const answer = await initialize('erin', 'mine', { elicitation: { url: {} } });
    assert.equal(answer.error?.code, -32042);
    const elicitations = answer.error?.data.elicitations as Record<string, unknown>[];
    assert.equal(elicitations.length, 1);
    assert.equal(elicitations[0]!.mode, 'url');
    assert.equal(elicitations[0]!.url, `${gw.url}/connections/acme/mine/connect`);
    assert.equal(typeof elicitations[0]!.elicitationId, 'string');
    assert.equal(typeof elicitations[0]!.message, 'string');
  });

  it('refreshes ahead of expiry, once for concurrent calls', async () => {
    const { apiKey } = await member('alice');
    const client = await connectClient({ ...gw, apiKey }, 'mine');
    try {
      await new Promise((resolve) => setTimeout(resolve, 4_500));
      const before = upstream.tokenGrants.refresh_token;
      const results = await Promise.all([
        client.callTool({ name: 'echo', arguments: { text: 'one' } }),
        client.callTool({ name: 'echo', arguments: { text: 'two' } }),
      ]);
      assert.equal(results.length, 2);
      assert.equal(upstream.tokenGrants.refresh_token - before, 1);
      assert.equal(upstream.tokenErrors.invalid_grant ?? 0, 0);
    } finally {
      await client.close();
    }
    assert.equal((await whoami('alice', 'mine')).sub, 'alice');
  });

  it('marks a revoked grant broken and answers with the connect URL, then reconnects', async () => {
    await connect('dave', 'mine', 'dave');
    assert.equal((await whoami('dave', 'mine')).sub, 'dave');
    upstream.revokeSubject('dave');
    const answer = await initialize('dave', 'mine');
    assert.equal(answer.error?.data.reason, 'upstream_connection_required');
    assert.equal(answer.error?.data.connect_url, `${gw.url}/connections/acme/mine/connect`);
    const listed = await api(await member('dave'), 'GET', '/me/connections');
    const mine = (listed.json as Record<string, unknown>[]).find((c) => c.serverId === 'mine');
    assert.equal(mine?.status, 'broken');
    assert.match(String(mine?.brokenReason), /refused|401/);
    // Alice's grant is untouched.
    assert.equal((await whoami('alice', 'mine')).sub, 'alice');
    await connect('dave', 'mine', 'dave');
    assert.equal((await whoami('dave', 'mine')).sub, 'dave');
  });
});

describe('upstream OAuth: shared and client_credentials', () => {
  it('refuses a member connecting the shared account, and lets an admin', async () => {
    const { jar } = await member('bob');
    const refused = await jar.get(`${gw.url}/connections/acme/team/connect`);
    assert.equal(refused.status, 403);
    assert.equal(refused.location, undefined);
    await connect('carol', 'team', 'carol');
  });

  it("gives every member's calls the account the admin connected", async () => {
    assert.equal((await whoami('alice', 'team')).sub, 'carol');
    assert.equal((await whoami('bob', 'team')).sub, 'carol');
  });

  it("calls a client_credentials upstream with the gateway's own client", async () => {
    const before = upstream.tokenGrants.client_credentials;
    const caller = await whoami('alice', 'robot');
    // No member's account: the token's subject is the gateway's client at the upstream AS.
    assert.equal(typeof caller.client_id, 'string');
    assert.equal(caller.sub, caller.client_id);
    assert.ok(!SUBJECTS.includes(String(caller.sub)));
    assert.equal((await whoami('bob', 'robot')).client_id, caller.client_id);
    assert.ok(upstream.tokenGrants.client_credentials - before >= 1);
  });
});

describe('upstream OAuth: the API', () => {
  it('lists, for an API key limited to some servers, only the connections of those servers', async () => {
    const alice = await member('alice');
    const created = await api(alice, 'POST', '/workspaces/acme/api-keys', {
      name: 'alice-mine-only',
      servers: ['mine'],
    });
    assert.equal(created.status, 201, created.text);
    const listed = await request(`${gw.url}/api/v1/me/connections`, {
      headers: { authorization: `Bearer ${(created.json as { key: string }).key}` },
    });
    assert.equal(listed.statusCode, 200);
    const views = (await listed.body.json()) as Record<string, unknown>[];
    assert.deepEqual(
      views.map((c) => c.serverId),
      ['mine'],
    );
  });

  it('lists connections with status, scope and expiry, never tokens', async () => {
    const listed = await api(await member('alice'), 'GET', '/me/connections');
    assert.equal(listed.status, 200, listed.text);
    const byServer = new Map(
      (listed.json as Record<string, unknown>[]).map((c) => [c.serverId, c]),
    );
    assert.equal(byServer.get('mine')?.status, 'connected');
    assert.equal(typeof byServer.get('mine')?.ownerId, 'string');
    assert.equal(byServer.get('team')?.ownerId, null);
    assert.equal(typeof byServer.get('mine')?.expiresAt, 'string');
    assert.doesNotMatch(listed.text, /access_?token|refresh_?token|eyJ/i);
  });

  it('starts a connection (the URL to open) and disconnects it', async () => {
    const erin = await member('erin');
    const started = await api(erin, 'POST', '/workspaces/acme/servers/mine/connection', {});
    assert.equal(started.status, 200, started.text);
    const url = (started.json as { url: string }).url;
    assert.ok(url.startsWith(upstream.issuer), url);
    const callback = await upstream.approve(url, { subject: 'erin' });
    assert.equal((await erin.jar.get(callback)).status, 200);
    assert.equal((await whoami('erin', 'mine')).sub, 'erin');
    const removed = await api(erin, 'DELETE', '/workspaces/acme/servers/mine/connection');
    assert.equal(removed.status, 204, removed.text);
    assert.equal(
      (await initialize('erin', 'mine')).error?.data.reason,
      'upstream_connection_required',
    );
    const again = await api(erin, 'DELETE', '/workspaces/acme/servers/mine/connection');
    assert.equal(again.status, 404);
  });

  it('refuses bad input clearly and changes nothing', async () => {
    const erin = await member('erin');
    const cases: [string, string, unknown, number][] = [
      ['POST', '/workspaces/acme/servers/robot/connection', {}, 400],
      ['POST', '/workspaces/acme/servers/team/connection', {}, 403],
      ['POST', '/workspaces/acme/servers/nope/connection', {}, 404],
      ['POST', '/workspaces/acme/servers/mine/connection', { returnTo: 'https://evil.test/' }, 400],
      ['POST', '/workspaces/acme/servers/mine/connection', { extra: 1 }, 400],
    ];
    for (const [method, apiPath, body, status] of cases) {
      const answer = await api(erin, method, apiPath, body);
      assert.equal(answer.status, status, `${apiPath} ${JSON.stringify(body)}: ${answer.text}`);
      assert.equal(typeof (answer.json as { error?: string }).error, 'string', answer.text);
    }
    const listed = await api(erin, 'GET', '/me/connections');
    assert.equal(
      (listed.json as Record<string, unknown>[]).find((c) => c.serverId === 'mine')?.status,
      'not_connected',
    );
  });

  it('registers an oauth server with a client secret that is never shown again', async () => {
    const servers = `${gw.url}/api/v1/workspaces/acme/servers`;
    const headers = { authorization: `Bearer ${gw.apiKey}`, 'content-type': 'application/json' };
    const body = {
      id: 'preregistered',
      name: 'Pre-registered',
      transport: 'http',
      url: upstream.mcpUrl,
      upstream_auth: {
        mode: 'oauth',
        oauth: { grant: 'shared', client_id: 'admin-made', client_secret: 'admin-secret-value' },
      },
    };
    const created = await request(servers, { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await created.body.text();
    assert.equal(created.statusCode, 201, text);
    assert.doesNotMatch(text, /admin-secret-value/);
    const detail = await request(`${servers}/preregistered`, { headers });
    const shown = (await detail.body.json()) as { upstream_auth: Record<string, unknown> };
    assert.deepEqual(shown.upstream_auth.oauth, {
      grant: 'shared',
      client_id: 'admin-made',
      has_client_secret: true,
      scopes: [],
      omit_resource: false,
      authorize_params: {},
    });
    const refused = await request(servers, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...body, id: 'bad', upstream_auth: { mode: 'oauth' } }),
    });
    assert.equal(refused.statusCode, 400, await refused.body.text());
    const gone = await request(`${servers}/bad`, { headers });
    assert.equal(gone.statusCode, 404);
    await gone.body.dump();
  });

  it('refuses a callback with an unknown or replayed state', async () => {
    const { jar } = await member('erin');
    const unknown = await jar.get(`${gw.url}/oauth/upstream/callback?code=x&state=nope`);
    assert.equal(unknown.status, 400);
    const start = await jar.get(`${gw.url}/connections/acme/mine/connect`);
    const callback = await upstream.approve(start.location!, { subject: 'erin' });
    assert.equal((await jar.get(callback)).status, 200);
    assert.equal((await jar.get(callback)).status, 400);
    // Another member's browser cannot finish someone's authorization.
    const other = await jar.get(`${gw.url}/connections/acme/mine/connect`);
    const stolen = await upstream.approve(other.location!, { subject: 'erin' });
    assert.equal((await (await member('bob')).jar.get(stolen)).status, 400);
  });
});

describe('upstream OAuth: chained into the sign-in of a client', () => {
  it("sends a member without a grant through the upstream's consent in the same trip", async () => {
    const redirectUri = 'http://localhost:4599/callback';
    const client = await registerClient(gw.url, { redirectUri });
    const resource = gw.endpoint('mine');
    const authorization = buildAuthorizeUrl(gw.url, client, { resource });
    const jar = createCookieJar();
    // Carol has no per-user connection for `mine` yet.
    const away = await signInAndConsent(authorization.url, {
      email: 'carol@acme.test',
      password: PASSWORD,
      jar,
    });
    assert.ok(away.startsWith(upstream.issuer), away);
    const callback = await upstream.approve(away, { subject: 'carol' });
    const back = await jar.followRedirects(callback, {
      stop: (location) => !location.startsWith(gw.url),
    });
    assert.ok(
      back.location?.startsWith(redirectUri),
      `${back.status} ${back.location} ${back.body.slice(0, 300)}`,
    );
    const code = new URL(back.location!).searchParams.get('code');
    assert.ok(code);
    const token = await request(`${gw.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: client.clientId,
        code_verifier: authorization.codeVerifier,
        resource,
      }).toString(),
    });
    const tokens = (await token.body.json()) as { access_token: string };
    assert.equal(token.statusCode, 200, JSON.stringify(tokens));
    const mcp = await connectClient({ ...gw, apiKey: tokens.access_token }, 'mine');
    try {
      const result = (await mcp.callTool({ name: 'whoami', arguments: {} })) as {
        content: { text: string }[];
      };
      assert.equal(JSON.parse(result.content[0]!.text).sub, 'carol');
    } finally {
      await mcp.close();
    }
  });

  it('does not detour a member who already has a grant', async () => {
    const redirectUri = 'http://localhost:4599/callback';
    const client = await registerClient(gw.url, { redirectUri });
    const authorization = buildAuthorizeUrl(gw.url, client, { resource: gw.endpoint('mine') });
    const away = await signInAndConsent(authorization.url, {
      email: 'alice@acme.test',
      password: PASSWORD,
    });
    assert.ok(away.startsWith(redirectUri), away);
  });

  it('refuses the way back without the proof of consent', async () => {
    const { jar } = await member('bob');
    const answer = await jar.get(`${gw.url}/interaction/unknown-uid/upstream-connected?proof=x`);
    assert.notEqual(answer.status, 200);
    assert.equal(answer.location?.startsWith('http://localhost:4599'), undefined);
  });
});

describe('upstream OAuth: secrets at rest', () => {
  it('keeps no upstream token in plaintext in the database', async () => {
    const store = await createStore({
      kind: 'sqlite',
      file: path.join(gw.dataDir, SQLITE_FILE_NAME),
    });
    const vault = createVault({ secretKey: SECRET_KEY, previousSecretKeys: [] });
    const plaintexts: string[] = [];
    try {
      for (const connection of await store.upstreamConnections.list('acme')) {
        plaintexts.push(vault.open(ACCESS_TOKEN_PURPOSE, connection.accessToken));
        if (connection.refreshToken !== null)
          plaintexts.push(vault.open(REFRESH_TOKEN_PURPOSE, connection.refreshToken));
      }
    } finally {
      await store.close();
    }
    assert.ok(plaintexts.length >= 6, `${plaintexts.length} tokens`);
    const file = path.join(gw.dataDir, SQLITE_FILE_NAME);
    const bytes = Buffer.concat(
      await Promise.all(
        ['', '-wal', '-shm', '-journal'].map((suffix) =>
          readFile(`${file}${suffix}`).catch(() => Buffer.alloc(0)),
        ),
      ),
    );
    for (const token of plaintexts) {
      assert.equal(bytes.includes(token), false, 'a token is stored in plaintext');
      // Their distinctive middles too (a JWT's payload, a random token's core).
      assert.equal(bytes.includes(token.slice(10, 40)), false);
    }
  });
});
