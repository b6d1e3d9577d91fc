/**
 * A stdio server whose environment carries a member secret runs one process
 * per member, started with that member's own value: the published
 * server-everything (its `get-env` tool shows the process's environment)
 * behind a real gateway, two members with their own API keys, and a member
 * who has set nothing.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { request } from 'undici';
import type { Client } from '@modelcontextprotocol/client';
import { generateApiKey } from '../../src/admin/api-keys-routes.ts';
import { apiKeyPrefix, hashApiKey } from '../../src/shared/api-key-hash.ts';
import { createStore } from '../../src/store/create-store.ts';
import { SQLITE_FILE_NAME } from '../../src/store/store-options.ts';
import { childPids, isAlive } from '../support/child-processes.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';
import { connectClient, resultText } from '../support/sdk-client.ts';

const everything = fileURLToPath(
  import.meta.resolve('@modelcontextprotocol/server-everything/dist/index.js'),
);
const SECRETS = '/workspaces/acme/servers/personal/member-secrets';
const ADA_TOKEN = 'ada-token-5f1c9e0b7a';
const ADA_TOKEN_2 = 'ada-token-rotated-88d2c4';
const BOB_TOKEN = 'bob-token-3e7a61d0c2';

async function startMembersGateway(
  options: Pick<Parameters<typeof startTestGateway>[0], 'env' | 'logger'>,
) {
  return startTestGateway({
    ...options,
    servers: [
      {
        id: 'personal',
        transport: 'stdio',
        command: process.execPath,
        args: [everything, 'stdio'],
        env: {
          MEMBER_TOKEN: { member_secret: 'token', description: 'Your personal token' },
          SHARED_FLAG: 'on',
        },
      },
    ],
    users: [
      { email: 'ada@acme.test', role: 'member' },
      { email: 'bob@acme.test', role: 'member' },
      { email: 'cleo@acme.test', role: 'member' },
      { email: 'vic@acme.test', role: 'viewer' },
    ],
  });
}

/** Gives each user (`<name>@acme.test`) an API key the way `portcullis apply` would, then reloads. */
async function issueKeys(gateway: TestGateway, names: string[]): Promise<Record<string, string>> {
  const store = await createStore({
    kind: 'sqlite',
    file: path.join(gateway.dataDir, SQLITE_FILE_NAME),
  });
  const keys: Record<string, string> = {};
  try {
    for (const name of names) {
      const user = (await store.users.findByEmail(`${name}@acme.test`))!;
      const key = generateApiKey();
      await store.apiKeys.upsert({
        name: `${name}-key`,
        userId: user.id,
        workspaceId: 'acme',
        keyHash: hashApiKey(key),
        prefix: apiKeyPrefix(key),
      });
      keys[name] = key;
    }
  } finally {
    await store.close();
  }
  await gateway.gateway.reload();
  return keys;
}

async function api(
  gateway: TestGateway,
  method: 'GET' | 'PUT' | 'DELETE',
  route: string,
  key: string,
  body?: unknown,
) {
  const response = await request(`${gateway.url}/api/v1${route}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, json: text === '' ? null : JSON.parse(text) };
}

const envOf = async (client: Client): Promise<Record<string, string>> =>
  JSON.parse(resultText(await client.callTool({ name: 'get-env', arguments: {} })));

describe('stdio servers with member secrets: one process per member', () => {
  let gateway: TestGateway;
  let closed = false;
  const logs: string[] = [];
  const keys: Record<'ada' | 'bob' | 'cleo' | 'vic', string> = {
    ada: '',
    bob: '',
    cleo: '',
    vic: '',
  };
  const clients: Client[] = [];

  const call = (method: 'GET' | 'PUT' | 'DELETE', route: string, key: string, body?: unknown) =>
    api(gateway, method, route, key, body);

  const connect = async (who: keyof typeof keys): Promise<Client> => {
    const client = await connectClient({ ...gateway, apiKey: keys[who] }, 'personal');
    clients.push(client);
    return client;
  };

  const memberPids = async (): Promise<Record<string, number | null>> => {
    const status = await call('GET', '/workspaces/acme/servers/personal/status', gateway.apiKey);
    assert.equal(status.status, 200);
    return Object.fromEntries(
      (status.json.member_processes as Array<{ email: string; pid: number | null }>).map((p) => [
        p.email,
        p.pid,
      ]),
    );
  };

  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    gateway = await startMembersGateway({ logger: pino({ level: 'debug' }, sink) });
    Object.assign(keys, await issueKeys(gateway, Object.keys(keys)));
  });
  after(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    if (!closed) await gateway?.close();
  });

  it('answers a member without a value with a JSON-RPC error naming the secret and where to set it', async () => {
    const answer = await mcpPost(gateway.endpoint('personal'), initializeBody(), {
      authorization: `Bearer ${keys.cleo}`,
    });
    assert.equal(answer.status, 200);
    const error = (answer.json as { error: { code: number; message: string; data: unknown } })
      .error;
    assert.equal(error.code, -32003);
    assert.match(error.message, /secret token/);
    assert.ok(error.message.includes(`PUT /api/v1${SECRETS}`), error.message);
    assert.deepEqual(childPids(everything), []);
  });

  it('refuses bad values and a viewer through the API, storing nothing', async () => {
    for (const body of [{ nope: 'x' }, { token: 7 }, { token: 'x'.repeat(16 * 1024 + 1) }]) {
      const response = await call('PUT', SECRETS, keys.ada, body);
      assert.equal(response.status, 400, JSON.stringify(body).slice(0, 40));
    }
    assert.equal((await call('PUT', SECRETS, keys.vic, { token: 'v' })).status, 403);
    const listed = await call('GET', SECRETS, keys.ada);
    assert.deepEqual(
      listed.json.secrets.map((s: { name: string; is_set: boolean }) => [s.name, s.is_set]),
      [['token', false]],
    );
  });

  it('starts each member’s own process with their own value', async () => {
    assert.equal((await call('PUT', SECRETS, keys.ada, { token: ADA_TOKEN })).status, 204);
    assert.equal((await call('PUT', SECRETS, keys.bob, { token: BOB_TOKEN })).status, 204);
    const ada = await connect('ada');
    const bob = await connect('bob');
    const adaEnv = await envOf(ada);
    const bobEnv = await envOf(bob);
    assert.equal(adaEnv.MEMBER_TOKEN, ADA_TOKEN);
    assert.equal(bobEnv.MEMBER_TOKEN, BOB_TOKEN);
    assert.equal(adaEnv.SHARED_FLAG, 'on');
    assert.equal(bobEnv.SHARED_FLAG, 'on');
    const pids = await memberPids();
    assert.equal(typeof pids['ada@acme.test'], 'number');
    assert.equal(typeof pids['bob@acme.test'], 'number');
    assert.notEqual(pids['ada@acme.test'], pids['bob@acme.test']);
    assert.deepEqual(
      childPids(everything).sort(),
      [pids['ada@acme.test'], pids['bob@acme.test']].sort(),
    );
    // A second session of the same member shares that member's process.
    const adaAgain = await connect('ada');
    assert.equal((await envOf(adaAgain)).MEMBER_TOKEN, ADA_TOKEN);
    assert.equal(childPids(everything).length, 2);
    // Members see only their own process; admins see everyone's.
    const own = await call('GET', '/workspaces/acme/servers/personal/status', keys.bob);
    assert.deepEqual(
      own.json.member_processes.map((p: { email: string }) => p.email),
      ['bob@acme.test'],
    );
  });

  it('serves 2026-07-28 clients from the member’s own process through the era bridge', async () => {
    const pids = await memberPids();
    const modern = await connectClient({ ...gateway, apiKey: keys.bob }, 'personal', {
      mode: { pin: '2026-07-28' },
    });
    clients.push(modern);
    assert.equal((await envOf(modern)).MEMBER_TOKEN, BOB_TOKEN);
    assert.deepEqual(await memberPids(), pids);
  });

  it('restarts only the member whose secret changed; their open session continues on the new process', async () => {
    const before = await memberPids();
    const [ada, bob] = clients;
    assert.equal((await call('PUT', SECRETS, keys.ada, { token: ADA_TOKEN_2 })).status, 204);
    assert.equal(isAlive(before['ada@acme.test']!), false);
    assert.equal((await envOf(ada!)).MEMBER_TOKEN, ADA_TOKEN_2);
    assert.equal((await envOf(bob!)).MEMBER_TOKEN, BOB_TOKEN);
    const after = await memberPids();
    assert.notEqual(after['ada@acme.test'], before['ada@acme.test']);
    assert.equal(after['bob@acme.test'], before['bob@acme.test']);
  });

  it('stops a member’s process when they remove their value; their next call gets the error', async () => {
    const before = await memberPids();
    assert.equal((await call('DELETE', `${SECRETS}/token`, keys.bob)).status, 204);
    assert.equal(isAlive(before['bob@acme.test']!), false);
    const answer = await mcpPost(gateway.endpoint('personal'), initializeBody(), {
      authorization: `Bearer ${keys.bob}`,
    });
    assert.match((answer.json as { error: { message: string } }).error.message, /secret token/);
    assert.ok(isAlive(before['ada@acme.test']!));
  });

  it('on reload, stops a process whose member value changed elsewhere (another instance)', async () => {
    const before = await memberPids();
    const store = await createStore({
      kind: 'sqlite',
      file: path.join(gateway.dataDir, SQLITE_FILE_NAME),
    });
    try {
      const ada = (await store.users.findByEmail('ada@acme.test'))!;
      assert.equal(await store.memberSecrets.remove('acme', 'personal', ada.id, 'token'), true);
    } finally {
      await store.close();
    }
    assert.ok(isAlive(before['ada@acme.test']!));
    await gateway.gateway.reload();
    assert.equal(isAlive(before['ada@acme.test']!), false);
    assert.equal((await memberPids())['ada@acme.test'] ?? null, null);
  });

  it('never keeps a value in plaintext in the data directory, nor writes one to the log', async () => {
    const pids = childPids(everything);
    await Promise.allSettled(clients.map((client) => client.close()));
    await gateway.gateway.close();
    closed = true;
    for (const pid of pids) assert.equal(isAlive(pid), false, `pid ${pid} outlived the gateway`);
    const files = await readdir(gateway.dataDir);
    assert.ok(files.includes(SQLITE_FILE_NAME));
    for (const file of files) {
      const bytes = await readFile(path.join(gateway.dataDir, file));
      for (const value of [ADA_TOKEN, ADA_TOKEN_2, BOB_TOKEN])
        assert.equal(bytes.includes(value), false, `${value} in ${file}`);
    }
    const logged = logs.join('');
    assert.ok(logged.length > 0);
    for (const value of [ADA_TOKEN, ADA_TOKEN_2, BOB_TOKEN])
      assert.equal(logged.includes(value), false, `${value} in the log`);
    await gateway.close();
  });
});

describe('stdio servers with member secrets: the process cap and idle TTL count every member', () => {
  let gateway: TestGateway;
  let keys: Record<string, string>;
  const clients: Client[] = [];

  before(async () => {
    gateway = await startMembersGateway({
      env: { PORTCULLIS_STDIO_MAX_PROCESSES: '1', PORTCULLIS_STDIO_IDLE_TTL_S: '1' },
    });
    keys = await issueKeys(gateway, ['ada', 'bob']);
    for (const [name, key] of Object.entries(keys))
      assert.equal(
        (await api(gateway, 'PUT', SECRETS, key, { token: `${name}-value` })).status,
        204,
      );
  });
  after(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gateway?.close();
  });

  it('refuses a second member’s process while the first runs, and starts it once the first idles out', async () => {
    const ada = await connectClient({ ...gateway, apiKey: keys.ada! }, 'personal');
    clients.push(ada);
    assert.equal((await envOf(ada)).MEMBER_TOKEN, 'ada-value');
    const refused = await mcpPost(gateway.endpoint('personal'), initializeBody(), {
      authorization: `Bearer ${keys.bob}`,
    });
    assert.match(
      (refused.json as { error: { message: string } }).error.message,
      /already runs 1 stdio server processes/,
    );
    // An open listening stream keeps a process busy: the idle clock starts when ada is done.
    await ada.close();
    const deadline = Date.now() + 10_000;
    while (childPids(everything).length > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(childPids(everything), []);
    // The gateway learns of the exit from the child's exit event, a moment after the OS.
    let bob: Client | undefined;
    while (bob === undefined) {
      try {
        bob = await connectClient({ ...gateway, apiKey: keys.bob! }, 'personal');
      } catch (error) {
        if (Date.now() > deadline || !/already runs 1 stdio/.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    clients.push(bob);
    assert.equal((await envOf(bob)).MEMBER_TOKEN, 'bob-value');
  });
});
