/**
 * Bad input at the MCP endpoint gets a clear, well-formed error and changes
 * nothing (DESIGN "Security model"): the right HTTP status, a JSON-RPC error
 * body (with the request's id when the gateway read one), no session minted,
 * the upstream never called, the store's servers and keys untouched, and a
 * request record with status "error" once the request reached the endpoint.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import path from 'node:path';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { apiKeyPrefix, hashApiKey } from '../../src/shared/api-key-hash.ts';
import { createStore } from '../../src/store/create-store.ts';
import type { Store } from '../../src/store/store.ts';
import { SQLITE_FILE_NAME } from '../../src/store/store-options.ts';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { startFaultServer } from '../fixtures/fault-server.ts';
import type { RunningFaultServer } from '../fixtures/fault-server.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, modernRequest } from '../support/mcp-http.ts';

const JSON_AND_SSE = 'application/json, text/event-stream';

/** The parts of a JSON-RPC answer these tests look at. */
interface RpcAnswer {
  jsonrpc?: string;
  id?: unknown;
  result?: { tools?: Array<{ name: string }> };
  error?: { code?: number; message?: string; data?: { reason?: string; supported?: unknown } };
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON (one answer, or an array for a batch). */
  json: RpcAnswer | RpcAnswer[] | undefined;
}

/** The one JSON-RPC answer of a non-batch request. */
function single(answer: Answer): RpcAnswer {
  assert.ok(
    answer.json !== undefined && !Array.isArray(answer.json),
    `one JSON object: ${answer.text}`,
  );
  return answer.json;
}

interface Send {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'HEAD' | 'DELETE';
  /** A string is sent as it is; anything else as JSON. */
  body?: unknown;
  /** Replaces the defaults (JSON content type, both Accept types, the test API key); `undefined` drops one. */
  headers?: Record<string, string | undefined>;
  url?: string;
}

interface Harness {
  gateway: TestGateway;
  upstream: RunningFaultServer;
  url: string;
  auth: Record<string, string>;
  send: (options: Send) => Promise<Answer>;
  /** Opens a 2025-era session through the gateway; returns the headers to use it. */
  openSession: (version?: string, auth?: Record<string, string>) => Promise<Record<string, string>>;
  /** Adds an API key to the store (for another workspace, if given) and reloads the gateway. */
  addApiKey: (workspaceId?: string) => Promise<string>;
}

interface Outcome {
  records: RequestRecord[];
}

async function openStore(gateway: TestGateway): Promise<Store> {
  return createStore({ kind: 'sqlite', file: path.join(gateway.dataDir, SQLITE_FILE_NAME) });
}

async function configuration(store: Store) {
  return {
    workspaces: await store.workspaces.list(),
    servers: await store.servers.list(),
    apiKeys: await store.apiKeys.list(),
  };
}

interface Options<T> {
  env?: Record<string, string>;
  /** Legitimate traffic before the bad request (sessions, extra keys); its result goes to the test. */
  setup?: (harness: Harness) => Promise<T>;
  /** The request under test is meant to reach the upstream (the lenient and batch cases). */
  reachesUpstream?: boolean;
}

/**
 * Starts a gateway in front of a counting upstream, runs `setup`, takes a
 * snapshot, runs `test`, then checks the part of "nothing changed" all tests
 * share: the upstream saw nothing after setup, and the store's workspaces,
 * servers and keys are as they were. Returns the request records, flushed by
 * shutting the gateway down.
 */
async function withGateway<T = undefined>(
  options: Options<T>,
  test: (harness: Harness, setup: T) => Promise<void>,
): Promise<Outcome> {
  const upstream = await startFaultServer();
  const gateway = await startTestGateway({
    servers: [{ id: 'srv', url: upstream.url }],
    env: options.env ?? {},
  });
  const url = gateway.endpoint('srv');
  const auth = { authorization: `Bearer ${gateway.apiKey}` };
  const send = async (sent: Send): Promise<Answer> => {
    const headers: Record<string, string> = {};
    const merged = {
      'content-type': 'application/json',
      accept: JSON_AND_SSE,
      ...auth,
      ...sent.headers,
    };
    for (const [name, value] of Object.entries(merged))
      if (value !== undefined) headers[name] = value;
    const body =
      sent.body === undefined
        ? {}
        : { body: typeof sent.body === 'string' ? sent.body : JSON.stringify(sent.body) };
    const response = await request(sent.url ?? url, {
      method: sent.method ?? 'POST',
      headers,
      ...body,
    });
    const text = await response.body.text();
    let json: Answer['json'];
    try {
      json = text ? (JSON.parse(text) as Answer['json']) : undefined;
    } catch {
      /* asserted by the caller */
    }
    return { status: response.statusCode, headers: response.headers, text, json };
  };
  const harness: Harness = {
    gateway,
    upstream,
    url,
    auth,
    send,
    async openSession(version = '2025-11-25', sessionAuth = auth) {
      const init = initializeBody('init');
      init.params.protocolVersion = version;
      const opened = await send({ body: init, headers: sessionAuth });
      assert.equal(opened.status, 200, opened.text);
      const sessionHeaders = {
        ...sessionAuth,
        'mcp-session-id': String(opened.headers['mcp-session-id']),
        'mcp-protocol-version': version,
      };
      const initialized = await send({
        body: { jsonrpc: '2.0', method: 'notifications/initialized' },
        headers: sessionHeaders,
      });
      assert.equal(initialized.status, 202);
      return sessionHeaders;
    },
    async addApiKey(workspaceId = 'acme') {
      const key = `pcl_${crypto.randomBytes(32).toString('base64url')}`;
      const store = await openStore(gateway);
      try {
        const user = await store.users.upsert({ email: `${workspaceId}-member@acme.test` });
        await store.workspaces.upsert({ id: workspaceId, name: workspaceId });
        await store.members.upsert({ workspaceId, userId: user.id, role: 'member' });
        await store.apiKeys.upsert({
          name: `extra-${crypto.randomBytes(4).toString('hex')}`,
          userId: user.id,
          workspaceId,
          keyHash: hashApiKey(key),
          prefix: apiKeyPrefix(key),
        });
      } finally {
        await store.close();
      }
      await gateway.gateway.reload();
      return key;
    },
  };
  try {
    const setup = (await options.setup?.(harness)) as T;
    const seenBySetup = upstream.received.length;
    const snapshot = await openStore(gateway);
    const before = await configuration(snapshot).finally(() => snapshot.close());

    await test(harness, setup);

    if (!options.reachesUpstream)
      assert.deepEqual(upstream.received.slice(seenBySetup), [], 'the upstream was not called');
    await gateway.gateway.close();
    const store = await openStore(gateway);
    try {
      assert.deepEqual(
        await configuration(store),
        before,
        'workspaces, servers and keys unchanged',
      );
      return { records: await store.requestRecords.list({ limit: 1000 }) };
    } finally {
      await store.close();
    }
  } finally {
    await gateway.close();
    await upstream.close();
  }
}

interface Expected {
  status: number;
  rpcCode: number;
  reason: string;
  id?: string | number | null;
}

/** A JSON-RPC error answer, with nothing minted. */
function assertRejected(answer: Answer, expected: Expected): void {
  assert.equal(answer.status, expected.status, answer.text);
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  assert.equal(answer.headers['mcp-session-id'], undefined, 'no session minted');
  const body = single(answer);
  assert.equal(body.jsonrpc, '2.0');
  assert.deepEqual(body.id, expected.id ?? null);
  assert.equal(body.result, undefined);
  assert.equal(body.error?.code, expected.rpcCode, answer.text);
  assert.ok(typeof body.error?.message === 'string' && body.error.message.length > 0);
  assert.equal(body.error.data?.reason, expected.reason, answer.text);
}

/** The one record of the rejected request, with status "error" and the catalogue code. */
function assertRecorded(
  outcome: Outcome,
  expected: Expected & { method?: string },
  workspaceId = 'acme',
): RequestRecord {
  const matching = outcome.records.filter(
    (record) =>
      record.workspaceId === workspaceId &&
      record.httpStatus === expected.status &&
      record.errorMessage === expected.reason,
  );
  assert.equal(matching.length, 1, `one record: ${JSON.stringify(outcome.records)}`);
  const record = matching[0]!;
  assert.equal(record.status, 'error');
  assert.equal(record.errorCode, expected.rpcCode);
  if (expected.method !== undefined) assert.equal(record.method, expected.method);
  return record;
}

const toolsList = (id: string | number = 'bad') => ({ jsonrpc: '2.0', id, method: 'tools/list' });

describe('bad input at the MCP endpoint', () => {
  describe('HTTP envelope', () => {
    it('malformed JSON gets 400 with a parse error', async () => {
      const expected = { status: 400, rpcCode: -32700, reason: 'parse_error' };
      const outcome = await withGateway({}, async ({ send }) => {
        assertRejected(await send({ body: '{"jsonrpc":"2.0","id":1,"method":' }), expected);
      });
      assertRecorded(outcome, expected);
    });

    it('a body that is JSON but not JSON-RPC gets 400 invalid request', async () => {
      const expected = { status: 400, rpcCode: -32600, reason: 'invalid_message' };
      const outcome = await withGateway({}, async ({ send }) => {
        assertRejected(await send({ body: { hello: 'world' } }), expected);
      });
      assertRecorded(outcome, expected);
    });

    it('a Content-Type other than application/json gets 415', async () => {
      const expected = { status: 415, rpcCode: -32600, reason: 'unsupported_media_type' };
      const outcome = await withGateway({}, async ({ send }) => {
        const answer = await send({
          body: initializeBody(1),
          headers: { 'content-type': 'text/plain' },
        });
        assertRejected(answer, expected);
      });
      assertRecorded(outcome, expected);
    });

    it('an Accept without text/event-stream gets 406', async () => {
      const expected = { status: 406, rpcCode: -32600, reason: 'not_acceptable' };
      const outcome = await withGateway({}, async ({ send }) => {
        for (const accept of ['text/html', 'application/json']) {
          assertRejected(await send({ body: initializeBody(1), headers: { accept } }), expected);
        }
      });
      assert.equal(
        outcome.records.filter((record) => record.errorMessage === 'not_acceptable').length,
        2,
      );
    });

    it('a POST without Accept is served leniently, as JSON', async () => {
      await withGateway({ reachesUpstream: true }, async ({ send }) => {
        const answer = await send({ body: initializeBody(1), headers: { accept: undefined } });
        assert.equal(answer.status, 200, answer.text);
        assert.match(String(answer.headers['content-type']), /^application\/json/);
        assert.equal(single(answer).id, 1);
      });
    });

    it('a body over PORTCULLIS_BODY_LIMIT gets 413', async () => {
      const expected = { status: 413, rpcCode: -32600, reason: 'payload_too_large' };
      await withGateway({ env: { PORTCULLIS_BODY_LIMIT: '2048' } }, async ({ send }) => {
        const body = { ...toolsList(1), params: { padding: 'x'.repeat(4096) } };
        assertRejected(await send({ body }), expected);
      });
    });

    for (const method of ['PUT', 'PATCH', 'HEAD'] as const) {
      it(`${method} gets 405 with an Allow header`, async () => {
        await withGateway({}, async ({ send }) => {
          const answer = await send({
            method,
            ...(method === 'HEAD' ? {} : { body: toolsList(1) }),
          });
          assert.equal(answer.status, 405);
          const allow = String(answer.headers.allow);
          for (const allowed of ['GET', 'POST', 'DELETE'])
            assert.ok(allow.includes(allowed), allow);
          if (method === 'HEAD') assert.equal(answer.text, '');
          else
            assertRejected(answer, {
              status: 405,
              rpcCode: -32600,
              reason: 'method_not_allowed',
            });
        });
      });
    }
  });

  describe('routing', () => {
    it('an unknown workspace gets 401 without credentials and 404 with them, and is not recorded', async () => {
      const expected = { status: 404, rpcCode: -32600, reason: 'workspace_not_found' };
      const outcome = await withGateway({}, async ({ send, gateway }) => {
        const anonymous = await send({
          url: gateway.endpoint('srv', 'no-such-workspace'),
          body: toolsList(1),
          headers: { authorization: undefined },
        });
        assertRejected(anonymous, { status: 401, rpcCode: -32003, reason: 'unauthorized' });
        const answer = await send({
          url: gateway.endpoint('srv', 'no-such-workspace'),
          body: toolsList(1),
        });
        assertRejected(answer, expected);
      });
      // Records exist only for real routes: callers cannot fill the log with made-up ids.
      assert.equal(
        outcome.records.filter((record) => record.workspaceId === 'no-such-workspace').length,
        0,
      );
    });

    it('an unknown server gets 404 and is not recorded', async () => {
      const expected = { status: 404, rpcCode: -32600, reason: 'server_not_found' };
      const outcome = await withGateway({}, async ({ send, gateway }) => {
        const answer = await send({ url: gateway.endpoint('no-such-server'), body: toolsList(1) });
        assertRejected(answer, expected);
      });
      assert.equal(
        outcome.records.filter((record) => record.serverId === 'no-such-server').length,
        0,
      );
    });
  });

  describe('credentials', () => {
    const unauthorized = { status: 401, rpcCode: -32003, reason: 'unauthorized' };

    it('a missing API key gets 401 with a Bearer challenge', async () => {
      const outcome = await withGateway({}, async ({ send }) => {
        const answer = await send({
          body: initializeBody(1),
          headers: { authorization: undefined },
        });
        assertRejected(answer, unauthorized);
        assert.match(String(answer.headers['www-authenticate']), /^Bearer\b/);
      });
      const record = assertRecorded(outcome, unauthorized);
      assert.equal(record.principalId, null);
    });

    it('a malformed Authorization header gets 401 invalid_request', async () => {
      const outcome = await withGateway({}, async ({ send }) => {
        for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b c']) {
          const answer = await send({ body: initializeBody(1), headers: { authorization } });
          assertRejected(answer, unauthorized);
          assert.match(
            String(answer.headers['www-authenticate']),
            /^Bearer .*error="invalid_request"/,
          );
        }
      });
      assert.equal(
        outcome.records.filter((record) => record.errorMessage === 'unauthorized').length,
        3,
      );
    });

    it('a wrong API key gets 401 invalid_token', async () => {
      const outcome = await withGateway({}, async ({ send }) => {
        const answer = await send({
          body: initializeBody(1),
          headers: { authorization: `Bearer pcl_${crypto.randomBytes(32).toString('base64url')}` },
        });
        assertRejected(answer, unauthorized);
        assert.match(String(answer.headers['www-authenticate']), /^Bearer .*error="invalid_token"/);
      });
      assertRecorded(outcome, unauthorized);
    });

    it("another workspace's API key gets 403 insufficient_scope", async () => {
      const forbidden = { status: 403, rpcCode: -32003, reason: 'forbidden' };
      const setup = (h: Harness) => h.addApiKey('other');
      const outcome = await withGateway({ setup }, async ({ send }, otherKey) => {
        const answer = await send({
          body: initializeBody(1),
          headers: { authorization: `Bearer ${otherKey}` },
        });
        assertRejected(answer, forbidden);
        assert.match(
          String(answer.headers['www-authenticate']),
          /^Bearer .*error="insufficient_scope"/,
        );
      });
      assertRecorded(outcome, forbidden);
    });
  });

  describe('browser protections', () => {
    it('a disallowed Origin gets 403', async () => {
      await withGateway({}, async ({ send }) => {
        const answer = await send({
          body: initializeBody(1),
          headers: { origin: 'https://evil.example' },
        });
        assertRejected(answer, { status: 403, rpcCode: -32600, reason: 'origin_not_allowed' });
        assert.equal(answer.headers['access-control-allow-origin'], undefined);
      });
    });

    it('a foreign Host gets 403 (DNS rebinding)', async () => {
      await withGateway({}, async ({ send }) => {
        const answer = await send({
          body: initializeBody(1),
          headers: { host: 'rebound.evil.example' },
        });
        assertRejected(answer, { status: 403, rpcCode: -32600, reason: 'origin_not_allowed' });
      });
    });
  });

  describe('2026-07-28 envelope', () => {
    const mismatch = { status: 400, rpcCode: -32020, reason: 'header_mismatch', id: 'bad' };

    it('an Mcp-Method header that disagrees with the body gets 400 -32020', async () => {
      const outcome = await withGateway({}, async ({ send }) => {
        const modern = modernRequest('bad', 'tools/list');
        const answer = await send({
          body: modern.body,
          headers: { ...modern.headers, 'mcp-method': 'prompts/list' },
        });
        assertRejected(answer, mismatch);
      });
      assertRecorded(outcome, { ...mismatch, method: 'tools/list' });
    });

    it('an Mcp-Name header that disagrees with the body gets 400 -32020', async () => {
      const outcome = await withGateway({}, async ({ send }) => {
        const modern = modernRequest('bad', 'tools/call', { name: 'echo', arguments: {} });
        const answer = await send({
          body: modern.body,
          headers: { ...modern.headers, 'mcp-name': 'delete_everything' },
        });
        assertRejected(answer, mismatch);
      });
      assertRecorded(outcome, { ...mismatch, method: 'tools/call' });
    });

    it('an MCP-Protocol-Version header that disagrees with _meta gets 400 -32020', async () => {
      const outcome = await withGateway({}, async ({ send }) => {
        const modern = modernRequest('bad', 'tools/list');
        const answer = await send({
          body: modern.body,
          headers: { ...modern.headers, 'mcp-protocol-version': '2025-11-25' },
        });
        assertRejected(answer, mismatch);
      });
      assertRecorded(outcome, mismatch);
    });

    it('a modern version header without the _meta envelope gets 400 -32602', async () => {
      const expected = { status: 400, rpcCode: -32602, reason: 'invalid_params', id: 'bad' };
      const outcome = await withGateway({}, async ({ send }) => {
        const answer = await send({
          body: toolsList(),
          headers: { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
        });
        assertRejected(answer, expected);
      });
      assertRecorded(outcome, expected);
    });

    it('an unsupported protocol version gets 400 -32022 listing the supported ones', async () => {
      const expected = {
        status: 400,
        rpcCode: -32022,
        reason: 'unsupported_protocol_version',
        id: 'bad',
      };
      const outcome = await withGateway({}, async ({ send }) => {
        const modern = modernRequest('bad', 'tools/list');
        modern.body.params._meta['io.modelcontextprotocol/protocolVersion'] = '2099-01-01';
        const answer = await send({
          body: modern.body,
          headers: { ...modern.headers, 'mcp-protocol-version': '2099-01-01' },
        });
        assertRejected(answer, expected);
        const supported = single(answer).error?.data?.supported;
        assert.ok(Array.isArray(supported) && supported.includes('2026-07-28'), answer.text);
      });
      assertRecorded(outcome, expected);
    });
  });

  describe('2025 sessions', () => {
    it('a non-initialize request without Mcp-Session-Id gets 400', async () => {
      const expected = { status: 400, rpcCode: -32600, reason: 'missing_session', id: 'bad' };
      const outcome = await withGateway({}, async ({ send }) => {
        assertRejected(await send({ body: toolsList() }), expected);
      });
      assertRecorded(outcome, { ...expected, method: 'tools/list' });
    });

    it('an unknown or forged Mcp-Session-Id gets 404', async () => {
      const expected = { status: 404, rpcCode: -32600, reason: 'session_not_found', id: 'bad' };
      const outcome = await withGateway(
        { setup: (h) => h.openSession() },
        async ({ send }, session) => {
          const real = session['mcp-session-id']!;
          const forged = [
            'not-a-session',
            `${real.slice(0, -4)}${real.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`,
          ];
          for (const sessionId of forged) {
            const answer = await send({
              body: toolsList(),
              headers: { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
            });
            assertRejected(answer, expected);
          }
        },
      );
      assert.equal(
        outcome.records.filter((record) => record.errorMessage === 'session_not_found').length,
        2,
      );
    });

    it('a session id presented with another API key gets 404', async () => {
      const expected = { status: 404, rpcCode: -32600, reason: 'session_not_found', id: 'bad' };
      const setup = async (h: Harness) => ({
        session: await h.openSession(),
        otherKey: await h.addApiKey(),
      });
      const outcome = await withGateway({ setup }, async ({ send }, { session, otherKey }) => {
        const answer = await send({
          body: toolsList(),
          headers: { ...session, authorization: `Bearer ${otherKey}` },
        });
        assertRejected(answer, expected);
      });
      assertRecorded(outcome, expected);
    });

    it('an unsupported MCP-Protocol-Version on a session gets 400 -32022', async () => {
      const expected = {
        status: 400,
        rpcCode: -32022,
        reason: 'unsupported_protocol_version',
        id: 'bad',
      };
      const setup = (h: Harness) => h.openSession();
      const outcome = await withGateway({ setup }, async ({ send }, session) => {
        const answer = await send({
          body: toolsList(),
          headers: { ...session, 'mcp-protocol-version': '1999-01-01' },
        });
        assertRejected(answer, expected);
        assert.ok(Array.isArray(single(answer).error?.data?.supported), answer.text);
      });
      assertRecorded(outcome, expected);
    });

    it('a JSON-RPC batch on a session after 2025-03-26 gets 400 -32600', async () => {
      const expected = { status: 400, rpcCode: -32600, reason: 'batch_not_allowed' };
      const setup = (h: Harness) => h.openSession('2025-11-25');
      const outcome = await withGateway({ setup }, async ({ send }, session) => {
        const answer = await send({ body: [toolsList(1), toolsList(2)], headers: session });
        assertRejected(answer, expected);
      });
      assertRecorded(outcome, { ...expected, method: '(batch)' });
    });

    it('a JSON-RPC batch on a 2025-03-26 session is answered as a batch', async () => {
      const setup = (h: Harness) => h.openSession('2025-03-26');
      await withGateway({ setup, reachesUpstream: true }, async ({ send, upstream }, session) => {
        const answer = await send({
          body: [toolsList(1), { jsonrpc: '2.0', method: 'notifications/ping' }, toolsList('two')],
          headers: session,
        });
        assert.equal(answer.status, 200, answer.text);
        assert.ok(Array.isArray(answer.json), answer.text);
        assert.deepEqual(answer.json.map((response) => response.id).sort(), [1, 'two']);
        for (const response of answer.json) assert.equal(response.result?.tools?.[0]?.name, 'echo');
        assert.equal(upstream.received.at(-1)?.rpcMethod, '(batch)');
      });
    });

    it('a response that answers no server request gets 400 and is not forwarded', async () => {
      const expected = { status: 400, rpcCode: -32600, reason: 'invalid_message' };
      const outcome = await withGateway(
        { setup: (h) => h.openSession() },
        async ({ send }, session) => {
          for (const id of ['never-asked', 42]) {
            const answer = await send({
              body: { jsonrpc: '2.0', id, result: {} },
              headers: session,
            });
            assertRejected(answer, expected);
          }
        },
      );
      assert.equal(
        outcome.records.filter(
          (record) => record.method === '(response)' && record.errorMessage === 'invalid_message',
        ).length,
        2,
      );
    });
  });

  it('rejections before the MCP handler (Origin, Host, body limit) are recorded', async () => {
    const outcome = await withGateway(
      { env: { PORTCULLIS_BODY_LIMIT: '2048' } },
      async ({ send }) => {
        await send({ body: initializeBody(1), headers: { origin: 'https://evil.example' } });
        await send({ body: initializeBody(1), headers: { host: 'rebound.evil.example' } });
        await send({ body: { ...initializeBody(1), padding: 'x'.repeat(4096) } });
      },
    );
    assert.equal(outcome.records.filter((record) => record.status === 'error').length, 3);
  });
});
