/**
 * How the gateway authenticates to upstreams: static headers from the config
 * file (`upstream_auth.mode: headers`, values sealed at rest), the caller's
 * signed identity (`forward_identity`), and nothing of the downstream
 * request's own credentials (Authorization, Cookie) ever reaching the upstream.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { createCookieJar } from '../support/cookie-jar.ts';
import { startHeaderGate } from '../support/header-gate.ts';
import type { HeaderGate } from '../support/header-gate.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway, TestServer } from '../support/gateway.ts';
import { connectWithOAuth, createTestOAuthProvider, jarBrowser } from '../support/oauth-client.ts';
import { createStore } from '../../src/store/create-store.ts';
import { SQLITE_FILE_NAME } from '../../src/store/store-options.ts';

const UPSTREAM_TOKEN = `static-${crypto.randomBytes(12).toString('hex')}`;
const USER = { email: 'grace@acme.test', password: 'a long enough test password' };
const REDIRECT_URL = 'http://127.0.0.1:47124/callback';

async function listTools(
  endpoint: string,
  headers: Record<string, string>,
  mode: 'legacy' | { pin: string } = 'legacy',
): Promise<string[]> {
  const client = new Client({ name: 'e2e', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(endpoint), { requestInit: { headers } }),
  );
  try {
    return (await client.listTools()).tools.map((tool) => tool.name);
  } finally {
    await client.close();
  }
}

describe('upstream auth', () => {
  let fixture: RunningFixtureServer;
  let gate: HeaderGate;
  let gateway: TestGateway;

  before(async () => {
    fixture = await startFixtureServer({ era: 'dual' });
    gate = await startHeaderGate(fixture.url, 'authorization', `Bearer ${UPSTREAM_TOKEN}`);
    const servers = [
      {
        id: 'guarded',
        url: gate.url,
        upstream_auth: {
          mode: 'headers',
          headers: {
            Authorization: { value_env: 'GUARDED_TOKEN' },
            'X-Team': { value_env: 'TEAM' },
          },
        },
      },
      { id: 'bare', url: gate.url },
      {
        id: 'identified',
        url: gate.url,
        upstream_auth: {
          mode: 'headers',
          headers: { Authorization: { value_env: 'GUARDED_TOKEN' } },
          forward_identity: true,
        },
      },
    ] as unknown as TestServer[];
    gateway = await startTestGateway({
      servers,
      users: [{ ...USER, role: 'member' }],
      env: { GUARDED_TOKEN: `Bearer ${UPSTREAM_TOKEN}`, TEAM: 'platform' },
    });
  });
  after(async () => {
    await gateway?.close();
    await gate?.close();
    await fixture?.close();
  });

  it('without upstream auth the guarded upstream refuses the gateway, and the caller gets an error', async () => {
    await assert.rejects(
      listTools(gateway.endpoint('bare'), { authorization: `Bearer ${gateway.apiKey}` }),
    );
    const last = gate.seen.at(-1);
    assert.ok(last, 'the request reached the upstream');
    assert.equal(last.authorization, undefined, "the caller's API key is not forwarded");
  });

  it('with mode headers every upstream request carries the configured headers, and tools are listed', async () => {
    const from = gate.seen.length;
    const tools = await listTools(gateway.endpoint('guarded'), {
      authorization: `Bearer ${gateway.apiKey}`,
      cookie: 'portcullis_session=downstream-cookie',
    });
    assert.ok(tools.includes('test_simple_text'));
    const seen = gate.seen.slice(from);
    assert.ok(seen.length >= 2, 'initialize and tools/list at least');
    for (const headers of seen) {
      assert.equal(headers.authorization, `Bearer ${UPSTREAM_TOKEN}`);
      assert.equal(headers['x-team'], 'platform');
      assert.equal(headers.cookie, undefined, 'the downstream Cookie never reaches the upstream');
      assert.ok(!JSON.stringify(headers).includes(gateway.apiKey), 'nor the API key');
      assert.equal(headers['x-portcullis-identity'], undefined, 'no identity unless asked');
    }
  });

  it('carries the configured headers on 2026-07-28 pass-through requests too', async () => {
    const from = gate.seen.length;
    const tools = await listTools(
      gateway.endpoint('guarded'),
      { authorization: `Bearer ${gateway.apiKey}` },
      { pin: '2026-07-28' },
    );
    assert.ok(tools.includes('test_simple_text'));
    const seen = gate.seen.slice(from);
    assert.ok(seen.length >= 1);
    for (const headers of seen) assert.equal(headers.authorization, `Bearer ${UPSTREAM_TOKEN}`);
  });

  it('stores header values sealed, never in plaintext', async () => {
    const file = await readFile(path.join(gateway.dataDir, SQLITE_FILE_NAME));
    assert.equal(file.includes(UPSTREAM_TOKEN), false);
  });

  it('forwards a signed identity for an API key user, verifiable with the gateway JWKS', async () => {
    const from = gate.seen.length;
    await listTools(gateway.endpoint('identified'), { authorization: `Bearer ${gateway.apiKey}` });
    const seen = gate.seen.slice(from);
    assert.ok(seen.length >= 2);
    const token = seen.at(-1)?.['x-portcullis-identity'];
    assert.equal(typeof token, 'string');
    for (const headers of seen) assert.equal(typeof headers['x-portcullis-identity'], 'string');
    const store = await createStore({
      kind: 'sqlite',
      file: path.join(gateway.dataDir, SQLITE_FILE_NAME),
    });
    const admin = await store.users.findByEmail('admin@acme.test');
    await store.close();
    const { payload, protectedHeader } = await jwtVerify(
      String(token),
      createRemoteJWKSet(new URL(`${gateway.url}/jwks`)),
      { issuer: gateway.url, audience: gate.url, typ: 'portcullis-identity+jwt' },
    );
    assert.equal(protectedHeader.alg, 'ES256');
    assert.ok(protectedHeader.kid);
    assert.equal(payload.sub, admin?.id);
    assert.equal(payload.email, 'admin@acme.test');
    assert.equal(payload.workspace, 'acme');
    assert.equal(payload.server, 'identified');
    assert.equal((payload.exp ?? 0) - (payload.iat ?? 0), 60);
    assert.equal(typeof payload.jti, 'string');
  });

  it('forwards a signed identity for an OAuth user', async () => {
    const endpoint = gateway.endpoint('identified');
    const provider = createTestOAuthProvider({
      redirectUrl: REDIRECT_URL,
      browser: jarBrowser(createCookieJar(), USER),
    });
    const from = gate.seen.length;
    const { client } = await connectWithOAuth(endpoint, provider, 'legacy');
    try {
      await client.listTools();
    } finally {
      await client.close();
    }
    const seen = gate.seen.slice(from);
    const token = seen.at(-1)?.['x-portcullis-identity'];
    const accessToken = provider.storedTokens()?.access_token ?? '';
    for (const headers of seen)
      assert.ok(!JSON.stringify(headers).includes(accessToken), 'the access token stays here');
    assert.equal(decodeProtectedHeader(String(token)).typ, 'portcullis-identity+jwt');
    const { payload } = await jwtVerify(
      String(token),
      createRemoteJWKSet(new URL(`${gateway.url}/jwks`)),
      { issuer: gateway.url, audience: gate.url },
    );
    const store = await createStore({
      kind: 'sqlite',
      file: path.join(gateway.dataDir, SQLITE_FILE_NAME),
    });
    const grace = await store.users.findByEmail(USER.email);
    await store.close();
    assert.equal(payload.sub, grace?.id);
    assert.equal(payload.email, USER.email);
    assert.equal(payload.name, grace?.name ?? null);
    assert.equal(payload.server, 'identified');
  });
});
