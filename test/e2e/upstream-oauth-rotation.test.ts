/**
 * `portcullis rotate-key` with upstream OAuth connections in the store: a
 * member's own connection (per_user, the gateway's client pre-registered
 * with an admin-given secret) and a shared one (the gateway registered
 * itself dynamically and got a secret). After the rotation the gateway runs
 * on the new key alone: calls reach the upstream as the right account,
 * expired tokens are refreshed with the re-sealed refresh tokens and client
 * secrets, and no token or client secret is readable in the SQLite files.
 * Authorizations in flight are deleted, and the output says so.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pino from 'pino';
import {
  ACCESS_TOKEN_PURPOSE,
  REFRESH_TOKEN_PURPOSE,
  REGISTRATION_SECRET_PURPOSE,
} from '../../src/auth/upstream-credentials/connections-context.ts';
import { createVault } from '../../src/auth/upstream-credentials/vault.ts';
import type { Vault } from '../../src/auth/upstream-credentials/vault.ts';
import type { CliIo } from '../../src/cli/cli-command.ts';
import { runCli } from '../../src/cli/run-cli.ts';
import { parseRuntimeConfig } from '../../src/config/runtime-config.ts';
import { startGateway } from '../../src/main.ts';
import type { Gateway } from '../../src/main.ts';
import { createStore } from '../../src/store/create-store.ts';
import { SQLITE_FILE_NAME } from '../../src/store/store-options.ts';
import { startOAuthUpstream } from '../fixtures/oauth-upstream/oauth-upstream.ts';
import type { RunningOAuthUpstream } from '../fixtures/oauth-upstream/oauth-upstream.ts';
import { createCookieJar, findForm } from '../support/cookie-jar.ts';
import type { CookieJar } from '../support/cookie-jar.ts';
import { freePort } from '../support/free-port.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { connectClient } from '../support/sdk-client.ts';

const OLD_KEY = 'old-secret-key-for-upstream-oauth-rotation-0123456789';
const NEW_KEY = 'new-secret-key-for-upstream-oauth-rotation-0123456789';
const PASSWORD = 'correct horse battery staple';
const MINE_CLIENT_ID = 'portcullis-mine';
const MINE_CLIENT_SECRET = 'admin-given-upstream-client-secret-5e1f0a9d';
const PEOPLE = ['alice', 'bob', 'carol'];

let port: number;
let upstream: RunningOAuthUpstream;
let first: TestGateway;
let current: Gateway | undefined;
const apiKeys = new Map<string, string>();
/** The plaintexts the store holds sealed: upstream tokens and client secrets. */
const secrets: Record<string, string> = { 'admin-given client secret': MINE_CLIENT_SECRET };
/** The `state` of a connect started and never finished. */
let pendingState = '';

const oauth = (grant: string, extra: Record<string, string> = {}) => ({
  mode: 'oauth',
  oauth: { grant, ...extra },
});

function cookieHeader(jar: CookieJar, url: string): string {
  return [...jar.cookiesFor(url)].map(([name, value]) => `${name}=${value}`).join('; ');
}

/** Signs `name`@acme.test in and gives them an API key (for MCP calls after restarts). */
async function signIn(name: string): Promise<CookieJar> {
  const jar = createCookieJar();
  const form = findForm((await jar.get(`${first.url}/login`)).body, '/login');
  const signedIn = await jar.post(
    `${first.url}/login`,
    { ...form.fields, email: `${name}@acme.test`, password: PASSWORD },
    { origin: first.url },
  );
  assert.equal(signedIn.status, 303, signedIn.body);
  const url = `${first.url}/api/v1/workspaces/acme/api-keys`;
  const me = await fetch(`${first.url}/api/v1/me`, {
    headers: { cookie: cookieHeader(jar, url) },
  });
  const { csrfToken } = (await me.json()) as { csrfToken: string };
  const created = await fetch(url, {
    method: 'POST',
    headers: {
      cookie: cookieHeader(jar, url),
      'x-csrf-token': csrfToken,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ name: `${name}-key-${apiKeys.size}-${Date.now()}` }),
  });
  assert.equal(created.status, 201);
  apiKeys.set(name, ((await created.json()) as { key: string }).key);
  return jar;
}

async function connect(jar: CookieJar, serverId: string, subject: string): Promise<void> {
  const start = await jar.get(`${first.url}/connections/acme/${serverId}/connect`);
  assert.equal(start.status, 303, start.body);
  const callback = await upstream.approve(start.location!, { subject });
  const done = await jar.get(callback);
  assert.equal(done.status, 200, done.body);
}

/** The upstream account `name`'s calls to `serverId` reach, through the gateway at `url`. */
async function whoami(url: string, name: string, serverId: string): Promise<string | null> {
  const client = await connectClient(
    {
      ...first,
      url,
      apiKey: apiKeys.get(name)!,
      endpoint: (id) => `${url}/acme/${id}/mcp`,
    },
    serverId,
  );
  try {
    const result = (await client.callTool({ name: 'whoami', arguments: {} })) as {
      content: { text: string }[];
    };
    return (JSON.parse(result.content[0]!.text) as { sub: string | null }).sub;
  } finally {
    await client.close();
  }
}

/**
 * The same gateway (port, data dir, config file) on the new key alone. The
 * config applied at start revokes API keys it does not declare: the members
 * sign in again for new ones.
 */
async function restart(): Promise<Gateway> {
  const gateway = await startAgain();
  current = gateway;
  for (const name of PEOPLE) await signIn(name);
  return gateway;
}

async function startAgain(): Promise<Gateway> {
  await current?.close();
  current = undefined;
  const env: Record<string, string> = {
    PORTCULLIS_HOST: '127.0.0.1',
    PORTCULLIS_PORT: String(port),
    PORTCULLIS_DATA_DIR: first.dataDir,
    PORTCULLIS_SECRET_KEY: NEW_KEY,
    PORTCULLIS_CONFIG: path.join(first.dataDir, 'portcullis.yaml'),
    PORTCULLIS_UPSTREAM_ALLOW_PRIVATE: '127.0.0.0/8,::1',
    PORTCULLIS_LOG_LEVEL: 'silent',
    TEST_API_KEY: first.apiKey,
    MINE_CLIENT_SECRET,
    ...Object.fromEntries(PEOPLE.map((_, index) => [`TEST_USER_PASSWORD_${index}`, PASSWORD])),
  };
  return startGateway({ config: parseRuntimeConfig(env), env, logger: pino({ level: 'silent' }) });
}

async function databaseBytes(): Promise<Buffer> {
  const file = path.join(first.dataDir, SQLITE_FILE_NAME);
  const parts: Buffer[] = [];
  for (const suffix of ['', '-wal', '-shm', '-journal'])
    parts.push(await readFile(`${file}${suffix}`).catch(() => Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** Opens every sealed upstream token and registration secret in the store with `vault`. */
async function openStoredSecrets(vault: Vault): Promise<Record<string, string>> {
  const store = await createStore({
    kind: 'sqlite',
    file: path.join(first.dataDir, SQLITE_FILE_NAME),
  });
  const opened: Record<string, string> = {};
  try {
    for (const connection of await store.upstreamConnections.list('acme')) {
      const owner = `${connection.serverId}/${connection.ownerId || 'workspace'}`;
      opened[`${owner} access token`] = vault.open(ACCESS_TOKEN_PURPOSE, connection.accessToken);
      if (connection.refreshToken !== null)
        opened[`${owner} refresh token`] = vault.open(
          REFRESH_TOKEN_PURPOSE,
          connection.refreshToken,
        );
    }
    for (const client of await store.upstreamClients.list())
      if (client.clientSecret !== null)
        opened[`registration ${client.clientId} secret`] = vault.open(
          REGISTRATION_SECRET_PURPOSE,
          client.clientSecret,
        );
  } finally {
    await store.close();
  }
  return opened;
}

/** Makes the stored access tokens of `serverId` expired, as if the gateway had been down long. */
function expireStoredTokens(serverId: string): void {
  const db = new BetterSqlite3(path.join(first.dataDir, SQLITE_FILE_NAME));
  try {
    db.prepare('update upstream_connections set expires_at = ? where server_id = ?').run(
      Date.now() - 1000,
      serverId,
    );
  } finally {
    db.close();
  }
}

before(async () => {
  port = await freePort();
  upstream = await startOAuthUpstream({
    subjects: PEOPLE,
    preRegisteredClients: [
      {
        client_id: MINE_CLIENT_ID,
        client_secret: MINE_CLIENT_SECRET,
        redirect_uris: [`http://127.0.0.1:${port}/oauth/upstream/callback`],
      },
    ],
  });
  first = await startTestGateway({
    servers: [
      {
        id: 'mine',
        url: upstream.mcpUrl,
        upstream_auth: oauth('per_user', {
          client_id: MINE_CLIENT_ID,
          client_secret_env: 'MINE_CLIENT_SECRET',
        }),
      },
      { id: 'team', url: upstream.mcpUrl, upstream_auth: oauth('shared') },
    ],
    users: [
      { email: 'alice@acme.test', password: PASSWORD, role: 'member' },
      { email: 'bob@acme.test', password: PASSWORD, role: 'member' },
      { email: 'carol@acme.test', password: PASSWORD, role: 'admin' },
    ],
    env: {
      PORTCULLIS_PORT: String(port),
      PORTCULLIS_SECRET_KEY: OLD_KEY,
      MINE_CLIENT_SECRET,
    },
  });
  assert.equal(first.url, `http://127.0.0.1:${port}`);
  const alice = await signIn('alice');
  const bob = await signIn('bob');
  const carol = await signIn('carol');
  await connect(alice, 'mine', 'alice');
  await connect(bob, 'mine', 'bob');
  await connect(carol, 'team', 'carol');
  assert.equal(await whoami(first.url, 'alice', 'mine'), 'alice');
  assert.equal(await whoami(first.url, 'bob', 'team'), 'carol');
  // Bob starts connecting again and never comes back: a pending authorization stays.
  const pending = await bob.get(`${first.url}/connections/acme/mine/connect`);
  assert.equal(pending.status, 303);
  pendingState = new URL(pending.location!).searchParams.get('state') ?? '';
  assert.notEqual(pendingState, '');
  await first.gateway.close();
  Object.assign(secrets, await openStoredSecrets(createVault({ secretKey: OLD_KEY })));
});

after(async () => {
  await current?.close();
  await first?.close();
  await upstream?.close();
});

describe('rotate-key with upstream OAuth connections', () => {
  it('re-seals tokens and client secrets, and deletes authorizations in flight', async () => {
    assert.ok(Object.keys(secrets).filter((name) => name.endsWith('token')).length >= 6);
    assert.ok(Object.keys(secrets).some((name) => name.startsWith('registration ')));
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      out: (line) => out.push(line),
      err: (line) => err.push(line),
      env: {
        PORTCULLIS_DATA_DIR: first.dataDir,
        PORTCULLIS_SECRET_KEY: NEW_KEY,
        PORTCULLIS_PREVIOUS_SECRET_KEYS: OLD_KEY,
      },
      stopSignal: () => new Promise(() => undefined),
    };
    assert.equal(await runCli(['rotate-key'], io), 0, err.join('\n'));
    const printed = out.join('\n');
    assert.match(printed, /upstream OAuth tokens: 6 re-sealed/);
    assert.match(printed, /upstream OAuth registrations: 1 re-sealed/);
    assert.match(printed, /upstream OAuth client secrets: 1 re-sealed/);
    assert.match(printed, /pending upstream OAuth authorizations: 1 deleted \(not re-sealed/);
    assert.match(printed, /database file compacted: no copy/);
    for (const value of Object.values(secrets)) assert.ok(!printed.includes(value));

    const store = await createStore({
      kind: 'sqlite',
      file: path.join(first.dataDir, SQLITE_FILE_NAME),
    });
    try {
      const stateHash = crypto.createHash('sha256').update(pendingState).digest('base64url');
      assert.equal(
        await store.upstreamAuthorizations.consume(stateHash, new Date()),
        undefined,
        'the pending authorization is gone',
      );
    } finally {
      await store.close();
    }
    const keyIds = new Set(
      [...(await databaseBytes()).toString('latin1').matchAll(/pcv1\.([A-Za-z0-9_-]{12})\./g)].map(
        (match) => match[1],
      ),
    );
    // Rewritten and deleted rows leave no stale copy behind: the file was compacted.
    assert.deepEqual([...keyIds], [createVault({ secretKey: NEW_KEY }).keyId]);
  });

  it('on the new key alone, calls reach the upstream as each member with the stored tokens', async () => {
    current = await restart();
    const refreshes = upstream.tokenGrants.refresh_token;
    assert.equal(await whoami(current.url, 'alice', 'mine'), 'alice');
    assert.equal(await whoami(current.url, 'bob', 'mine'), 'bob');
    assert.equal(await whoami(current.url, 'alice', 'team'), 'carol');
    // The re-sealed access tokens were used as they were: nothing was refreshed.
    assert.equal(upstream.tokenGrants.refresh_token, refreshes);
  });

  it('refreshes expired tokens with the re-sealed refresh tokens and client secrets', async () => {
    await current?.close();
    current = undefined;
    expireStoredTokens('mine');
    expireStoredTokens('team');
    current = await restart();
    const refreshes = upstream.tokenGrants.refresh_token;
    assert.equal(await whoami(current.url, 'bob', 'mine'), 'bob');
    assert.equal(await whoami(current.url, 'bob', 'team'), 'carol');
    // One refresh each: mine with the admin-given secret, team with the registered one.
    assert.equal(upstream.tokenGrants.refresh_token - refreshes, 2);
    assert.equal(upstream.tokenErrors.invalid_grant ?? 0, 0);
    assert.equal(upstream.tokenErrors.invalid_client ?? 0, 0);
    Object.assign(secrets, await openStoredSecrets(createVault({ secretKey: NEW_KEY })));
  });

  it('leaves no upstream token or client secret readable in the database files', async () => {
    await current?.close();
    current = undefined;
    const bytes = await databaseBytes();
    // The search reads the real rows: what is not secret is there.
    assert.ok(bytes.includes(Buffer.from(MINE_CLIENT_ID)));
    assert.ok(bytes.includes(Buffer.from(upstream.issuer)));
    for (const [name, value] of Object.entries(secrets)) {
      assert.equal(bytes.includes(Buffer.from(value)), false, `${name} is in the database`);
      // A distinctive middle too (a JWT's payload, a random secret's core).
      if (value.length > 40)
        assert.equal(bytes.includes(Buffer.from(value.slice(10, 40))), false, name);
    }
  });
});
