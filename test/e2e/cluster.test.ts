/**
 * Scale-out (issue 9): three gateway processes on one PostgreSQL and one
 * Redis, behind nginx running deploy/nginx.conf (round-robin, no stickiness,
 * one worker so consecutive requests land on consecutive instances). Which
 * instance served a request is read from nginx's access log.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { request } from 'undici';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import {
  clusterUnavailableReason,
  nginxTemplate,
  renderNginxSite,
  startCluster,
} from '../support/cluster.ts';
import type { AccessLogEntry, ClusterServer, RunningCluster } from '../support/cluster.ts';
import { createCookieJar } from '../support/cookie-jar.ts';
import type { TestGateway } from '../support/gateway.ts';
import { acceptAda, connectClient, resultText } from '../support/sdk-client.ts';
import { initializeBody, mcpPost, modernRequest } from '../support/mcp-http.ts';
import {
  authorizeInBrowser,
  getJson,
  pkcePair,
  postForm,
  postJson,
} from '../support/oauth-client.ts';

const USER = { email: 'ada@acme.test', password: 'correct horse battery staple' };
const CALLBACK = 'https://claude.ai/api/mcp/auth_callback';
const LIMIT = 5;
const unavailable = clusterUnavailableReason();

type Json = Record<string, unknown>;

/** The instances that served the log entries after `from`, in order. */
const servedBy = (log: AccessLogEntry[], from: number) =>
  log.slice(from).map((entry) => entry.upstream);

describe('the nginx configuration the cluster runs', () => {
  it('is deploy/nginx.conf with only the instances, the listen address, TLS and the log path replaced', async () => {
    const template = await readFile(nginxTemplate, 'utf8');
    const site = renderNginxSite(template, {
      listen: '127.0.0.1:9000',
      instances: ['127.0.0.1:9001', '127.0.0.1:9002'],
      accessLog: '/logs/access.log',
    });
    const replaced = /^\s*(server \d|listen|ssl_|access_log)/;
    const kept = (text: string) => text.split('\n').filter((line) => !replaced.test(line));
    assert.deepEqual(kept(site), kept(template));
    assert.match(site, /^ {4}server 127\.0\.0\.1:9001 max_fails=1 fail_timeout=5s;$/m);
    assert.match(site, /^ {4}server 127\.0\.0\.1:9002 max_fails=1 fail_timeout=5s;$/m);
    assert.match(site, /^ {4}listen 127\.0\.0\.1:9000;$/m);
    assert.doesNotMatch(site, /ssl|10\.0\.0\./);
    assert.throws(() =>
      renderNginxSite('server { }', { listen: 'x', instances: [], accessLog: 'y' }),
    );
  });
});

describe('three instances behind nginx', { skip: unavailable }, () => {
  let fixture: RunningFixtureServer;
  let cluster: RunningCluster;
  let apiAuth: Record<string, string>;
  let servers: ClusterServer[];

  before(async () => {
    fixture = await startFixtureServer({ era: 'dual' });
    servers = [
      { id: 'fixture', url: fixture.url, capture: 'full' },
      { id: 'limited', url: fixture.url },
      { id: 'governed', url: fixture.url },
      { id: 'steered', url: fixture.url },
    ];
    cluster = await startCluster({
      servers,
      users: [{ ...USER, role: 'member' }],
      limits: [
        {
          name: 'global',
          server: 'limited',
          tool: 'test_simple_text',
          period: 'hour',
          limit: LIMIT,
        },
      ],
      // Records still queued when an instance is SIGKILLed survive in its data directory.
      env: { PORTCULLIS_RECORD_SPOOL: 'true' },
    });
    apiAuth = { authorization: `Bearer ${cluster.apiKey}` };
  });
  after(async () => {
    await cluster?.close();
    await fixture?.close();
  });

  it('spreads consecutive requests over every instance, with no stickiness', async () => {
    const from = (await cluster.accessLog()).length;
    for (let id = 1; id <= 6; id += 1) {
      const { body, headers } = modernRequest(id, 'tools/list');
      const answer = await mcpPost(cluster.endpoint('fixture'), body, { ...apiAuth, ...headers });
      assert.equal(answer.status, 200);
    }
    const served = servedBy(await cluster.accessLog(), from);
    assert.equal(new Set(served).size, 3, served.join(' '));
    for (let i = 1; i < served.length; i += 1) assert.notEqual(served[i], served[i - 1]);
  });

  it('runs a 2025-era session whose initialize, initialized and call land on three instances', async () => {
    const from = (await cluster.accessLog()).length;
    const init = await mcpPost(cluster.endpoint('fixture'), initializeBody(1), apiAuth);
    assert.equal(init.status, 200);
    const session = {
      ...apiAuth,
      'mcp-session-id': String(init.headers['mcp-session-id']),
      'mcp-protocol-version': '2025-11-25',
    };
    const initialized = await mcpPost(
      cluster.endpoint('fixture'),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      session,
    );
    assert.equal(initialized.status, 202);
    const call = await mcpPost(
      cluster.endpoint('fixture'),
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'test_simple_text' } },
      session,
    );
    assert.equal(call.status, 200);
    assert.match(JSON.stringify(call.json), /simple text response/);
    assert.equal(new Set(servedBy(await cluster.accessLog(), from)).size, 3);
  });

  it('completes the Claude-like OAuth flow with every step on another instance than the last', async () => {
    const endpoint = cluster.endpoint('fixture');
    const from = (await cluster.accessLog()).length;
    const challenge = await mcpPost(endpoint, initializeBody(), { 'user-agent': 'Claude-User' });
    assert.equal(challenge.status, 401);
    const resourceMetadata = /resource_metadata="([^"]+)"/.exec(
      String(challenge.headers['www-authenticate']),
    )?.[1];
    assert.ok(resourceMetadata !== undefined);
    assert.ok(resourceMetadata.startsWith(cluster.url), resourceMetadata);
    const prm = await getJson(resourceMetadata);
    assert.equal(prm.body.resource, endpoint);
    const [issuer] = prm.body.authorization_servers as string[];
    assert.equal(issuer, cluster.url, 'the issuer is the public URL, not an instance');
    const metadata = (await getJson(`${issuer}/.well-known/oauth-authorization-server`)).body;
    const registered = await postJson(String(metadata.registration_endpoint), {
      client_name: 'Claude',
      redirect_uris: [CALLBACK],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const client = {
      client_id: String(registered.body.client_id),
      client_secret: String(registered.body.client_secret),
    };
    const pkce = pkcePair();
    const state = crypto.randomUUID();
    const authorize = new URL(String(metadata.authorization_endpoint));
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: CALLBACK,
      scope: 'mcp offline_access',
      state,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      resource: endpoint,
    }).toString();
    const outcome = await authorizeInBrowser(createCookieJar(), authorize.href, {
      ...USER,
      approve: true,
    });
    assert.deepEqual(outcome.forms, ['sign-in', 'consent']);
    const landed = new URL(outcome.location);
    assert.equal(landed.searchParams.get('state'), state);
    assert.equal(landed.searchParams.get('iss'), cluster.url);
    const issued = await postForm(String(metadata.token_endpoint), {
      grant_type: 'authorization_code',
      code: String(landed.searchParams.get('code')),
      redirect_uri: CALLBACK,
      code_verifier: pkce.verifier,
      resource: endpoint,
      ...client,
    });
    assert.equal(issued.status, 200, JSON.stringify(issued.body));
    assert.equal(decodeJwt(String(issued.body.access_token)).iss, cluster.url);
    const refreshed = await postForm(String(metadata.token_endpoint), {
      grant_type: 'refresh_token',
      refresh_token: String(issued.body.refresh_token),
      resource: endpoint,
      ...client,
    });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    const auth = { authorization: `Bearer ${String(refreshed.body.access_token)}` };
    for (let id = 10; id < 13; id += 1) {
      const { body, headers } = modernRequest(id, 'tools/call', { name: 'test_simple_text' });
      const call = await mcpPost(endpoint, body, { ...auth, ...headers });
      assert.equal(call.status, 200);
      assert.match(JSON.stringify(call.json), /simple text response/);
    }
    const served = servedBy(await cluster.accessLog(), from);
    assert.ok(served.length >= 12, `${served.length} requests`);
    for (let i = 1; i < served.length; i += 1)
      assert.notEqual(served[i], served[i - 1], `requests ${i - 1} and ${i} on one instance`);
  });

  for (const [era, mode] of [
    ['2025-11-25', 'legacy'],
    ['2026-07-28', { pin: '2026-07-28' }],
  ] as const) {
    it(`completes an elicitation round trip (${era}) while requests land on different instances`, async () => {
      // The answer is the request after the call, so round-robin sends it to another instance.
      const from = (await cluster.accessLog()).length;
      // connectClient reads only these two fields of a gateway.
      const target: Pick<TestGateway, 'endpoint' | 'apiKey'> = {
        endpoint: (serverId) => cluster.endpoint(serverId),
        apiKey: cluster.apiKey,
      };
      const client = await connectClient(target as TestGateway, 'fixture', {
        mode,
        elicit: acceptAda,
      });
      try {
        const result = await client.callTool(
          { name: 'test_elicitation', arguments: { message: 'Who are you?' } },
          { timeout: 10_000 },
        );
        assert.match(resultText(result), /ada/);
      } finally {
        await client.close();
      }
      assert.ok(new Set(servedBy(await cluster.accessLog(), from)).size >= 2);
    });
  }

  it('allows exactly N calls under a global usage limit, however they spread', async () => {
    const call = async (id: number) => {
      const { body, headers } = modernRequest(id, 'tools/call', { name: 'test_simple_text' });
      return mcpPost(cluster.endpoint('limited'), body, { ...apiAuth, ...headers });
    };
    const answers = [];
    // 3N calls: N one after another (each on the next instance), then 2N at once.
    for (let id = 1; id <= LIMIT; id += 1) answers.push(await call(id));
    answers.push(
      ...(await Promise.all(Array.from({ length: 2 * LIMIT }, (_, i) => call(100 + i)))),
    );
    const allowed = answers.filter((answer) =>
      /simple text response/.test(JSON.stringify(answer.json)),
    );
    const refused = answers.filter((answer) => (answer.json as Json | null)?.error !== undefined);
    assert.equal(allowed.length, LIMIT);
    assert.equal(
      refused.length,
      answers.length - LIMIT,
      'every other call is refused with an error',
    );
  });

  it('enforces a policy change made through one instance on the others within one second', async () => {
    const [first, ...others] = cluster.instances;
    const call = async (instanceUrl: string, id: number) => {
      const { body, headers } = modernRequest(id, 'tools/call', { name: 'test_simple_text' });
      return mcpPost(`${instanceUrl}/acme/governed/mcp`, body, { ...apiAuth, ...headers });
    };
    // Every instance has served the server (and holds its policy) before the change.
    for (const instance of cluster.instances)
      assert.match(JSON.stringify((await call(instance.url, 1)).json), /simple text response/);
    const put = await request(`${first!.url}/api/v1/workspaces/acme/servers/governed/policy`, {
      method: 'PUT',
      headers: { ...apiAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ tools: { test_simple_text: { enabled: false } } }),
    });
    const changedAt = performance.now();
    assert.equal(put.statusCode, 200, await put.body.text());
    const delays = await Promise.all(
      others.map(async (instance) => {
        for (let id = 2; ; id += 1) {
          const answer = await call(instance.url, id);
          if (!/simple text response/.test(JSON.stringify(answer.json)))
            return performance.now() - changedAt;
          if (performance.now() - changedAt > 5_000) return Infinity;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }),
    );
    for (const delay of delays) assert.ok(delay <= 1_000, `enforced after ${Math.round(delay)} ms`);
  });

  it('applies a `portcullis apply` run in its own process on every instance within one second', async (t) => {
    const simpleText = async (instanceUrl: string, serverId: string, id: number) => {
      const { body, headers } = modernRequest(id, 'tools/call', { name: 'test_simple_text' });
      const answer = await mcpPost(`${instanceUrl}/acme/${serverId}/mcp`, body, {
        ...apiAuth,
        ...headers,
      });
      return /simple text response/.test(JSON.stringify(answer.json));
    };
    for (const instance of cluster.instances) {
      assert.ok(await simpleText(instance.url, 'steered', 1));
      assert.ok(!(await simpleText(instance.url, 'late', 1)), 'no server "late" yet');
    }
    const run = await cluster.apply({
      servers: [
        ...servers.filter((server) => server.id !== 'steered'),
        {
          id: 'steered',
          url: fixture.url,
          policy: { tools: { test_simple_text: { enabled: false } } },
        },
        { id: 'late', url: fixture.url },
      ],
    });
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /servers: 1 created/);
    assert.match(run.output, /Running instances were told to reload/);
    const appliedAt = run.appliedAt!;
    const delays = await Promise.all(
      cluster.instances.map(async (instance) => {
        for (let id = 2; ; id += 1) {
          const [steered, late] = await Promise.all([
            simpleText(instance.url, 'steered', id),
            simpleText(instance.url, 'late', id),
          ]);
          if (!steered && late) return performance.now() - appliedAt;
          if (performance.now() - appliedAt > 5_000) return Infinity;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }),
    );
    t.diagnostic(`applied on the instances after ${delays.map(Math.round).join(', ')} ms`);
    for (const delay of delays) assert.ok(delay <= 1_000, `applied after ${Math.round(delay)} ms`);
  });

  // Last: it leaves one instance dead.
  let loadOutcomes: Outcome[] = [];
  it('keeps legacy sessions alive when an instance is killed mid-load; every answer is whole or a clean error', async (t) => {
    const endpoint = cluster.endpoint('fixture');
    const sessions = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        const init = await mcpPost(endpoint, initializeBody(i), apiAuth);
        assert.equal(init.status, 200);
        const headers = {
          ...apiAuth,
          'mcp-session-id': String(init.headers['mcp-session-id']),
          'mcp-protocol-version': '2025-11-25',
        };
        const initialized = await mcpPost(
          endpoint,
          { jsonrpc: '2.0', method: 'notifications/initialized' },
          headers,
        );
        assert.equal(initialized.status, 202);
        return headers;
      }),
    );
    const victim = cluster.instances[2]!;
    const outcomes: Outcome[] = [];
    let next = 0;
    let stop = false;
    const workers = sessions.map(async (headers) => {
      while (!stop) {
        const ms = 50 + (next += 1);
        outcomes.push(await sleepCall(endpoint, headers, ms));
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await victim.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    stop = true;
    await Promise.all(workers);

    const completed = outcomes.filter((outcome) => outcome.kind === 'completed');
    const refused = outcomes.filter((outcome) => outcome.kind === 'error');
    const cut = outcomes.filter((outcome) => outcome.kind === 'cut');
    const malformed = outcomes.filter((outcome) => outcome.kind === 'malformed');
    assert.deepEqual(malformed, [], 'answers neither whole nor a JSON-RPC error');
    // A call whose answer stream had begun on the dead instance ends with the stream: nothing is
    // left to send an error, and nginx cannot replay a request already sent. Only the calls in
    // flight at the kill (at most one per session) can end so.
    assert.ok(cut.length <= sessions.length, `${cut.length} streams cut`);
    for (const outcome of refused) assert.equal(outcome.status, 503, JSON.stringify(outcome));
    assert.ok(completed.length > 20, `${completed.length} calls completed`);

    // The same sessions, with the same credentials, go on through the others.
    for (const headers of sessions) {
      const after = await sleepCall(endpoint, headers, 1);
      assert.equal(after.kind, 'completed', JSON.stringify(after));
    }
    const log = await cluster.accessLog();
    assert.ok(!log.slice(-sessions.length).some((entry) => entry.upstream === victim.address));
    t.diagnostic(
      `${completed.length} completed, ${refused.length} refused with a JSON-RPC error, ${cut.length} cut by the kill`,
    );
    for (const outcome of cut) t.diagnostic(`cut: ${JSON.stringify(outcome)}`);
    loadOutcomes = outcomes;
  });

  for (const [which, onVictim] of [
    ['the surviving instances', false],
    ['the killed instance', true],
  ] as const)
    it(
      onVictim
        ? `has a request record for every call that completed on ${which} once it restarts on its data directory`
        : `has a request record for every call that completed on ${which}`,
      async () => {
        assert.ok(loadOutcomes.length > 0, 'runs after the kill test');
        // The killed instance inserts what its record spool holds before it is ready again.
        if (onVictim) await cluster.instances[2]!.restart();
        // A graceful stop flushes the survivors' record queues.
        for (const instance of cluster.instances) await instance.kill('SIGTERM');
        const victim = cluster.instances[2]!.address;
        const accessLog = await cluster.accessLog();
        const servedBy = new Map(accessLog.map((entry) => [entry.request_id, entry.upstream]));
        const gatewayIds = new Map(
          accessLog.map((entry) => [entry.request_id, entry.gateway_request_id]),
        );
        const store = await cluster.openStore();
        try {
          const records = await store.requestRecords.list({ workspaceId: 'acme', limit: 10_000 });
          const recorded = new Set(
            records
              .filter((record) => record.serverId === 'fixture' && record.method === 'tools/call')
              .map((record) => (JSON.parse(record.arguments ?? '{}') as { ms?: number }).ms),
          );
          const completed = loadOutcomes.flatMap((outcome) =>
            outcome.kind === 'completed' &&
            (servedBy.get(outcome.requestId) === victim) === onVictim
              ? [outcome]
              : [],
          );
          assert.ok(completed.length > 0, `calls completed on ${which}`);
          const missing = completed.filter((outcome) => !recorded.has(outcome.ms));
          assert.deepEqual(missing, [], 'completed calls without a record');
          // nginx's log line names the record: its gateway id is the record's id.
          const ids = new Set(records.map((record) => record.id));
          assert.deepEqual(
            completed.filter((outcome) => !ids.has(gatewayIds.get(outcome.requestId) ?? '')),
            [],
            'log lines whose gateway id is no record',
          );
        } finally {
          await store.close();
        }
      },
    );

  it('answers a JSON-RPC error with Retry-After, not an HTML page, when no instance is up', async () => {
    for (const instance of cluster.instances) await instance.kill('SIGTERM');
    const { body, headers } = modernRequest(1, 'tools/list');
    const answer = await mcpPost(cluster.endpoint('fixture'), body, { ...apiAuth, ...headers });
    assert.equal(answer.status, 503);
    assert.equal(answer.headers['retry-after'], '1');
    const error = (answer.json as Json).error as Json;
    assert.equal(error.code, -32603);
    assert.equal(typeof error.message, 'string');
  });
});

type Outcome =
  | { kind: 'completed'; ms: number; requestId: string }
  | { kind: 'error'; ms: number; status: number; code: number }
  | { kind: 'cut'; ms: number; message: string }
  | { kind: 'malformed'; ms: number; status: number; text: string };

/** A 2025-era `test_sleep` call, classified by what came back. */
async function sleepCall(
  endpoint: string,
  headers: Record<string, string>,
  ms: number,
): Promise<Outcome> {
  let answer;
  try {
    answer = await mcpPost(
      endpoint,
      {
        jsonrpc: '2.0',
        id: ms,
        method: 'tools/call',
        params: { name: 'test_sleep', arguments: { ms } },
      },
      headers,
    );
  } catch (error) {
    return { kind: 'cut', ms, message: (error as Error).message };
  }
  const json = answer.json as Json | null;
  if (answer.status === 200 && (json?.result as Json | undefined)?.content !== undefined)
    return { kind: 'completed', ms, requestId: String(answer.headers['x-request-id']) };
  const error = json?.error as Json | undefined;
  if (typeof error?.code === 'number' && typeof error.message === 'string')
    return { kind: 'error', ms, status: answer.status, code: error.code };
  if (answer.status === 200 && answer.messages.length === 0)
    return { kind: 'cut', ms, message: 'stream ended without an answer' };
  return { kind: 'malformed', ms, status: answer.status, text: answer.text.slice(0, 300) };
}
