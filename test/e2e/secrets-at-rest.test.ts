/**
 * No secret is readable in the database files: a whole gateway with a stdio
 * server holding a `value_env` secret, users with passwords, an API key and
 * a full OAuth authorization (confidential client, refresh token) is closed
 * and its SQLite files are searched byte by byte. Then `portcullis rotate-key`
 * moves everything to a new secret key, and the gateway keeps working on the
 * same data directory, first with the former key still listed, then without.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createVault } from '../../src/auth/upstream-credentials/vault.ts';
import type { CliIo } from '../../src/cli/cli-command.ts';
import { runCli } from '../../src/cli/run-cli.ts';
import { parseRuntimeConfig } from '../../src/config/runtime-config.ts';
import { startGateway } from '../../src/main.ts';
import type { Gateway } from '../../src/main.ts';
import { SQLITE_FILE_NAME } from '../../src/store/store-options.ts';
import { buildAuthorizeUrl, createCookieJar, signInAndConsent } from '../support/cookie-jar.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway, TestServer } from '../support/gateway.ts';
import { connectClient, resultText } from '../support/sdk-client.ts';

const OLD_KEY = 'old-secret-key-for-the-rotation-test-0123456789';
const NEW_KEY = 'new-secret-key-for-the-rotation-test-0123456789';
const ENV_SECRET = 'env-secret-7f3a9c1e5b2d4f60';
const PASSWORD = 'correct horse battery staple';
const REDIRECT_URI = 'http://127.0.0.1:4567/callback';

/** A stdio MCP server with one tool answering the value of its SECRET_TOKEN variable. */
const echoServerScript = `
const { McpServer } = await import(${JSON.stringify(import.meta.resolve('@modelcontextprotocol/server'))});
const { StdioServerTransport } = await import(${JSON.stringify(import.meta.resolve('@modelcontextprotocol/server/stdio'))});
const server = new McpServer({ name: 'env-echo', version: '1.0.0' });
server.registerTool('echo_secret', { description: 'Answers SECRET_TOKEN' }, async () => ({
  content: [{ type: 'text', text: String(process.env.SECRET_TOKEN) }],
}));
await server.connect(new StdioServerTransport());
`;

const echoServer = {
  id: 'echo',
  transport: 'stdio',
  command: process.execPath,
  args: ['--input-type=module', '-e', echoServerScript],
  // A `value_env` reference: the test gateway writes `env` into the config file as given.
  env: { SECRET_TOKEN: { value_env: 'ECHO_SECRET' } },
} as unknown as TestServer;

interface Tokens {
  access_token: string;
  refresh_token: string;
}

let first: TestGateway;
let current: Gateway | undefined;
let client: { client_id: string; client_secret: string };
let tokens: Tokens;
const planted: Record<string, string> = {};

async function postForm(url: string, form: Record<string, string>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** The MCP server's answer through the gateway at `url`, authenticated by `bearer`. */
async function echo(url: string, bearer: string): Promise<string> {
  const mcp = await connectClient(
    { ...first, url, apiKey: bearer, endpoint: (id) => `${url}/acme/${id}/mcp` },
    'echo',
  );
  try {
    return resultText(await mcp.callTool({ name: 'echo_secret', arguments: {} }));
  } finally {
    await mcp.close();
  }
}

async function refresh(url: string): Promise<Tokens> {
  const answer = await postForm(`${url}/token`, {
    grant_type: 'refresh_token',
    refresh_token: tokens.refresh_token,
    client_id: client.client_id,
    client_secret: client.client_secret,
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  return answer.json as unknown as Tokens;
}

/** The same gateway (data dir, config file, users, API key) with other secret keys. */
async function restart(keys: { secretKey: string; previous?: string }): Promise<Gateway> {
  await current?.close();
  current = undefined;
  const env: Record<string, string> = {
    PORTCULLIS_HOST: '127.0.0.1',
    // The same port: the issuer and the resource URLs tokens are bound to stay the same.
    PORTCULLIS_PORT: new URL(first.url).port,
    PORTCULLIS_DATA_DIR: first.dataDir,
    PORTCULLIS_SECRET_KEY: keys.secretKey,
    PORTCULLIS_CONFIG: path.join(first.dataDir, 'portcullis.yaml'),
    PORTCULLIS_LOG_LEVEL: 'silent',
    TEST_API_KEY: first.apiKey,
    TEST_USER_PASSWORD_0: PASSWORD,
    ECHO_SECRET: ENV_SECRET,
    PATH: process.env.PATH ?? '',
    ...(keys.previous === undefined ? {} : { PORTCULLIS_PREVIOUS_SECRET_KEYS: keys.previous }),
  };
  return startGateway({ config: parseRuntimeConfig(env), env, logger: pino({ level: 'silent' }) });
}

/** Every byte SQLite keeps on disk: the database, and its journal files when present. */
async function databaseBytes(): Promise<Buffer> {
  const file = path.join(first.dataDir, SQLITE_FILE_NAME);
  const parts: Buffer[] = [];
  for (const suffix of ['', '-wal', '-shm', '-journal'])
    parts.push(await readFile(`${file}${suffix}`).catch(() => Buffer.alloc(0)));
  return Buffer.concat(parts);
}

before(async () => {
  first = await startTestGateway({
    servers: [echoServer],
    users: [{ email: 'ada@acme.test', password: PASSWORD, role: 'member' }],
    env: { PORTCULLIS_SECRET_KEY: OLD_KEY, ECHO_SECRET: ENV_SECRET },
  });
  const registration = await fetch(`${first.url}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Confidential client',
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }),
  });
  assert.equal(registration.status, 201);
  client = (await registration.json()) as typeof client;
  assert.equal(typeof client.client_secret, 'string');

  const jar = createCookieJar();
  const authorization = buildAuthorizeUrl(
    first.url,
    { clientId: client.client_id, redirectUri: REDIRECT_URI },
    { resource: first.endpoint('echo') },
  );
  const callback = new URL(
    await signInAndConsent(authorization.url, { email: 'ada@acme.test', password: PASSWORD, jar }),
  );
  const code = callback.searchParams.get('code');
  assert.ok(code, callback.href);
  const exchanged = await postForm(`${first.url}/token`, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    client_id: client.client_id,
    client_secret: client.client_secret,
    code_verifier: authorization.codeVerifier,
    resource: first.endpoint('echo'),
  });
  assert.equal(exchanged.status, 200, JSON.stringify(exchanged.json));
  tokens = exchanged.json as unknown as Tokens;
  assert.equal(typeof tokens.refresh_token, 'string');

  Object.assign(planted, {
    'stdio env secret': ENV_SECRET,
    'API key': first.apiKey,
    password: PASSWORD,
    'authorization code': code,
    'refresh token': tokens.refresh_token,
    'access token': tokens.access_token,
    'client secret': client.client_secret,
  });
  for (const [name, value] of jar.cookiesFor(first.url))
    if (value.length >= 16) planted[`cookie ${name}`] = value;
  assert.ok(Object.keys(planted).some((name) => name.startsWith('cookie ')));

  assert.equal(await echo(first.url, tokens.access_token), ENV_SECRET);
  assert.equal(await echo(first.url, first.apiKey), ENV_SECRET);
  await first.gateway.close();
});

after(async () => {
  await current?.close();
  await rm(first.dataDir, { recursive: true, force: true });
});

describe('secrets at rest', () => {
  it('leaves none of the secrets it was given or issued readable in the database files', async () => {
    const bytes = await databaseBytes();
    // The search reads the real rows: what is not secret is there.
    assert.ok(bytes.includes(Buffer.from(client.client_id)));
    assert.ok(bytes.includes(Buffer.from('ada@acme.test')));
    for (const [name, value] of Object.entries(planted))
      assert.equal(bytes.includes(Buffer.from(value, 'utf8')), false, `${name} is in the database`);
  });

  it('rotate-key re-seals everything under the new key, and again changes nothing', async () => {
    const run = async () => {
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
      const code = await runCli(['rotate-key'], io);
      assert.equal(code, 0, err.join('\n'));
      return out.join('\n');
    };
    const rotated = await run();
    assert.match(rotated, /server environment values: 1 re-sealed/);
    assert.match(rotated, /OAuth client secrets: 1 re-sealed/);
    assert.match(rotated, /signing keys: 1 re-sealed/);
    for (const value of Object.values(planted)) assert.ok(!rotated.includes(value));
    assert.match(
      await run(),
      /server environment values: 0 re-sealed, 0 sealed from plaintext, 1 already current/,
    );

    const keyIds = new Set(
      [...(await databaseBytes()).toString('latin1').matchAll(/pcv1\.([A-Za-z0-9_-]{12})\./g)].map(
        (match) => match[1],
      ),
    );
    assert.deepEqual([...keyIds], [createVault({ secretKey: NEW_KEY }).keyId]);
  });

  it('keeps working with the new key while the former one is still listed', async () => {
    current = await restart({ secretKey: NEW_KEY, previous: OLD_KEY });
    tokens = await refresh(current.url);
    assert.equal(await echo(current.url, tokens.access_token), ENV_SECRET);
  });

  it('keeps working with the new key alone: refresh tokens, client secret, signing key, stdio env', async () => {
    current = await restart({ secretKey: NEW_KEY });
    tokens = await refresh(current.url);
    assert.equal(await echo(current.url, tokens.access_token), ENV_SECRET);
    assert.equal(await echo(current.url, first.apiKey), ENV_SECRET);
  });
});
