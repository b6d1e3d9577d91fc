/**
 * Upstream faults through a real gateway, in both protocol eras: whatever the
 * upstream does wrong, the client gets a well-formed JSON-RPC error for its
 * request within the server's timeout (plus a small margin), the gateway
 * keeps serving, and the request record says what failed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from 'undici';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { parseSse } from '../../src/upstream/sse-parser.ts';
import { closedPortUrl, startFaultServer } from '../fixtures/fault-server.ts';
import type { FaultMode, RunningFaultServer } from '../fixtures/fault-server.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost, modernRequest } from '../support/mcp-http.ts';
import type { RawAnswer } from '../support/mcp-http.ts';

/**
 * Which way a call goes: a 2025 client on a session; a 2026-07-28 client
 * passed through to a dual-era upstream; a 2026-07-28 client bridged to a
 * 2025-only upstream.
 */
type Path = 'legacy' | 'modern' | 'bridged';
type Era = 'legacy' | 'modern';
const PATHS: Record<Path, string> = {
  legacy: '2025 era',
  modern: '2026-07-28 era, pass-through',
  bridged: '2026-07-28 era, bridged to a 2025-only upstream',
};
const eraOf = (path: Path): Era => (path === 'legacy' ? 'legacy' : 'modern');
const TIMEOUT_MS = 500;
/** No timed assertion is tighter than the server timeout plus this. */
const MARGIN_MS = 1_000;
const CALL_ID = 'faulted-call';

interface Harness {
  gateway: TestGateway;
  faulty: RunningFaultServer | undefined;
  healthy: RunningFaultServer;
  /** Headers of an open session on `faulty` (legacy) or the empty set (modern). */
  session: Record<string, string>;
}

async function openLegacySession(url: string, auth: Record<string, string>) {
  const init = await mcpPost(url, initializeBody('init'), auth);
  assert.equal(init.status, 200, init.text);
  const headers = {
    ...auth,
    'mcp-session-id': String(init.headers['mcp-session-id']),
    'mcp-protocol-version': '2025-11-25',
  };
  const initialized = await mcpPost(
    url,
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    headers,
  );
  assert.equal(initialized.status, 202);
  return headers;
}

/** Starts a faulty and a healthy upstream behind one gateway; `faultyUrl` overrides the faulty one. */
async function withHarness(
  path: Path,
  options: { timeoutMs?: number; faultyUrl?: string },
  body: (harness: Harness) => Promise<void>,
): Promise<RequestRecord[]> {
  const faulty =
    options.faultyUrl === undefined
      ? await startFaultServer({ era: path === 'bridged' ? 'legacy' : 'dual' })
      : undefined;
  const healthy = await startFaultServer();
  const gateway = await startTestGateway({
    servers: [
      {
        id: 'faulty',
        url: options.faultyUrl ?? faulty!.url,
        timeout_ms: options.timeoutMs ?? TIMEOUT_MS,
      },
      { id: 'healthy', url: healthy.url },
    ],
  });
  try {
    const auth = { authorization: `Bearer ${gateway.apiKey}` };
    const session =
      path === 'legacy' && faulty !== undefined
        ? await openLegacySession(gateway.endpoint('faulty'), auth)
        : auth;
    await body({ gateway, faulty, healthy, session });
    return await gateway.closeAndReadRecords();
  } finally {
    await gateway.close();
    await faulty?.close();
    await healthy.close();
  }
}

/**
 * POSTs one message and reads the whole answer, JSON or SSE. The client gives
 * up after `deadlineMs`, so a gateway that never answers fails the test
 * instead of stalling the suite.
 */
async function timedPost(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  deadlineMs = TIMEOUT_MS + MARGIN_MS,
): Promise<{ answer: RawAnswer; elapsedMs: number }> {
  const started = performance.now();
  try {
    const response = await request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(deadlineMs),
    });
    const messages: unknown[] = [];
    let text = '';
    if (String(response.headers['content-type']).startsWith('text/event-stream')) {
      for await (const event of parseSse(response.body as AsyncIterable<Buffer>))
        if (event.data) messages.push(JSON.parse(event.data));
    } else {
      text = await response.body.text();
      if (text) messages.push(JSON.parse(text));
    }
    const answer = {
      status: response.statusCode,
      headers: response.headers,
      json: messages.at(-1) ?? null,
      messages,
      text,
    };
    return { answer, elapsedMs: performance.now() - started };
  } catch (error) {
    if ((error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError')
      assert.fail(`no complete answer within ${deadlineMs} ms`);
    throw error;
  }
}

/** Sends `tools/call` (with a progress token) in the given era and times the whole answer. */
async function callTool(
  era: Era,
  url: string,
  headers: Record<string, string>,
  id: string | number = CALL_ID,
  deadlineMs?: number,
): Promise<{ answer: RawAnswer; elapsedMs: number }> {
  const params = { name: 'echo', arguments: { text: 'hello' } };
  if (era === 'modern') {
    const modern = modernRequest(id, 'tools/call', params);
    const body = {
      ...modern.body,
      params: { ...modern.body.params, _meta: { ...modern.body.params._meta, progressToken: 7 } },
    };
    return timedPost(url, body, { ...headers, ...modern.headers }, deadlineMs);
  }
  const body = {
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { ...params, _meta: { progressToken: 7 } },
  };
  return timedPost(url, body, headers, deadlineMs);
}

async function listTools(era: Era, url: string, headers: Record<string, string>) {
  if (era === 'modern') {
    const modern = modernRequest('after', 'tools/list');
    return mcpPost(url, modern.body, { ...headers, ...modern.headers });
  }
  return mcpPost(url, { jsonrpc: '2.0', id: 'after', method: 'tools/list' }, headers);
}

/** The parts of a JSON-RPC response these tests look at. */
interface RpcResponse {
  jsonrpc: string;
  id: unknown;
  result?: { content?: unknown; tools?: Array<{ name: string }> };
  error?: { code: number; message: string; data?: { reason?: string } };
}

function isResponse(message: unknown): message is RpcResponse {
  return (
    typeof message === 'object' &&
    message !== null &&
    !('method' in message) &&
    ('result' in message || 'error' in message)
  );
}

/** The JSON-RPC response to `id` among the answer's messages (JSON body or SSE events). */
function responseTo(answer: RawAnswer, id: string | number): RpcResponse {
  const responses = answer.messages.filter(isResponse);
  assert.equal(
    responses.length,
    1,
    `one response expected, got ${JSON.stringify(answer.messages)}`,
  );
  const response = responses[0]!;
  assert.equal(response.jsonrpc, '2.0');
  assert.deepEqual(response.id, id, `answers request ${String(id)}: ${JSON.stringify(response)}`);
  return response;
}

function assertGatewayError(
  answer: RawAnswer,
  elapsedMs: number,
  reason: string,
  rpcCode: number,
  timeoutMs = TIMEOUT_MS,
): void {
  const response = responseTo(answer, CALL_ID);
  assert.ok(response.error, `an error, got ${JSON.stringify(response)}`);
  assert.equal(response.error.code, rpcCode, JSON.stringify(response.error));
  assert.equal(typeof response.error.message, 'string');
  assert.equal(response.error.data?.reason, reason, JSON.stringify(response.error));
  assert.ok(
    elapsedMs < timeoutMs + MARGIN_MS,
    `answered in ${Math.round(elapsedMs)} ms (timeout ${timeoutMs} ms)`,
  );
}

function assertRecorded(
  records: RequestRecord[],
  method: string,
  reason: string,
  rpcCode: number,
): void {
  const matching = records.filter(
    (record) => record.serverId === 'faulty' && record.method === method,
  );
  assert.equal(matching.length, 1, `one ${method} record: ${JSON.stringify(records)}`);
  const record = matching[0]!;
  assert.equal(record.status, 'error');
  assert.equal(record.errorCode, rpcCode);
  assert.equal(record.errorMessage, reason);
}

async function assertStillServing(era: Era, harness: Harness, serverId: string): Promise<void> {
  const headers =
    serverId === 'faulty' ? harness.session : { authorization: `Bearer ${harness.gateway.apiKey}` };
  const url = harness.gateway.endpoint(serverId);
  const session =
    era === 'legacy' && serverId !== 'faulty' ? await openLegacySession(url, headers) : headers;
  const after = await listTools(era, url, session);
  const response = responseTo(after, 'after');
  assert.ok(response.result, `the next request succeeds: ${JSON.stringify(response)}`);
  assert.equal(response.result.tools?.[0]?.name, 'echo');
}

interface FaultCase {
  name: string;
  mode: FaultMode;
  reason: string;
  rpcCode: number;
}

const faults: FaultCase[] = [
  {
    name: 'an upstream that never sends response headers times out',
    mode: 'hang',
    reason: 'upstream_timeout',
    rpcCode: -32002,
  },
  {
    name: 'an upstream 5xx with an HTML body',
    mode: 'html-500',
    reason: 'upstream_error',
    rpcCode: -32001,
  },
  {
    name: 'an upstream 200 whose body is not JSON',
    mode: 'garbage',
    reason: 'upstream_protocol_error',
    rpcCode: -32001,
  },
  {
    name: 'an upstream 200 whose JSON is not JSON-RPC',
    mode: 'not-json-rpc',
    reason: 'upstream_protocol_error',
    rpcCode: -32001,
  },
  {
    name: 'an SSE stream cut mid-response after one progress notification',
    mode: 'sse-cut',
    reason: 'upstream_unavailable',
    rpcCode: -32001,
  },
  {
    name: 'an SSE stream that ends without a response and without event ids',
    mode: 'sse-no-answer',
    reason: 'upstream_unavailable',
    rpcCode: -32001,
  },
  {
    name: 'an SSE stream that stalls after one progress notification times out',
    mode: 'sse-stall',
    reason: 'upstream_timeout',
    rpcCode: -32002,
  },
];

describe('upstream faults', () => {
  for (const [path, label] of Object.entries(PATHS) as Array<[Path, string]>) {
    const era = eraOf(path);
    describe(label, () => {
      for (const fault of faults) {
        it(`${fault.name}: the client gets ${fault.reason}, the gateway keeps serving, the record says so`, async () => {
          const records = await withHarness(path, {}, async (harness) => {
            harness.faulty!.mode = fault.mode;
            const { answer, elapsedMs } = await callTool(
              era,
              harness.gateway.endpoint('faulty'),
              harness.session,
            );
            assertGatewayError(answer, elapsedMs, fault.reason, fault.rpcCode);
            harness.faulty!.mode = 'ok';
            await assertStillServing(era, harness, 'faulty');
          });
          assertRecorded(records, 'tools/call', fault.reason, fault.rpcCode);
        });
      }

      it('a refused connection: upstream_unavailable at once, other servers keep serving', async () => {
        const url = await closedPortUrl();
        const records = await withHarness(path, { faultyUrl: url }, async (harness) => {
          const faultyUrl = harness.gateway.endpoint('faulty');
          let answer: RawAnswer;
          const started = performance.now();
          if (era === 'legacy') {
            answer = await mcpPost(faultyUrl, initializeBody(CALL_ID), harness.session);
          } else {
            answer = (await callTool(era, faultyUrl, harness.session)).answer;
          }
          assertGatewayError(answer, performance.now() - started, 'upstream_unavailable', -32001);
          assert.equal(answer.headers['mcp-session-id'], undefined, 'no session minted');
          await assertStillServing(era, harness, 'healthy');
        });
        assertRecorded(
          records,
          era === 'legacy' ? 'initialize' : 'tools/call',
          'upstream_unavailable',
          -32001,
        );
      });

      it('a slow upstream within its timeout answers normally', async () => {
        const timeoutMs = 1_500;
        const records = await withHarness(path, { timeoutMs }, async (harness) => {
          harness.faulty!.mode = 'slow';
          harness.faulty!.delayMs = 700;
          const { answer, elapsedMs } = await callTool(
            era,
            harness.gateway.endpoint('faulty'),
            harness.session,
          );
          const response = responseTo(answer, CALL_ID);
          assert.deepEqual(response.result?.content, [{ type: 'text', text: 'echo: hello' }]);
          assert.ok(elapsedMs >= 700 && elapsedMs < timeoutMs + MARGIN_MS, `${elapsedMs} ms`);
        });
        const call = records.find((record) => record.method === 'tools/call')!;
        assert.equal(call.status, 'ok');
        assert.ok(call.upstreamLatencyMs !== null && call.upstreamLatencyMs >= 650);
      });
    });
  }

  for (const status of [404, 400] as const) {
    it(`2025 era: an upstream that forgot its session (${status}) is re-opened transparently`, async () => {
      const records = await withHarness('legacy', {}, async (harness) => {
        const faulty = harness.faulty!;
        const url = harness.gateway.endpoint('faulty');
        const first = await callTool('legacy', url, harness.session, 1);
        assert.ok(responseTo(first.answer, 1).result);
        assert.equal(faulty.sessionsOpened, 1);

        faulty.forgetSessions(status);
        const second = await callTool('legacy', url, harness.session, 2);
        const response = responseTo(second.answer, 2);
        assert.deepEqual(response.result?.content, [{ type: 'text', text: 'echo: hello' }]);
        assert.equal(faulty.sessionsOpened, 2, 'one new upstream session');
        const calls = faulty.received.filter((request) => request.rpcMethod === 'tools/call');
        assert.equal(calls.length, 3, 'the call that met the 404 was sent once more');
        assert.notEqual(calls[1]!.sessionId, calls[2]!.sessionId);

        // The downstream session id stays valid and now maps to the new upstream session.
        const third = await callTool('legacy', url, harness.session, 3);
        assert.ok(responseTo(third.answer, 3).result);
        assert.equal(faulty.sessionsOpened, 2);
      });
      const calls = records.filter((record) => record.method === 'tools/call');
      assert.equal(calls.length, 3);
      assert.ok(calls.every((record) => record.status === 'ok'));
    });
  }

  it('bridged 2026-07-28 calls survive an upstream that forgot its session (404)', async () => {
    const records = await withHarness('bridged', {}, async (harness) => {
      const faulty = harness.faulty!;
      const url = harness.gateway.endpoint('faulty');
      const first = await callTool('modern', url, harness.session, 1);
      assert.ok(responseTo(first.answer, 1).result);
      const opened = faulty.sessionsOpened;
      assert.ok(opened >= 1);

      faulty.forgetSessions();
      const second = await callTool('modern', url, harness.session, 2);
      const response = responseTo(second.answer, 2);
      assert.deepEqual(response.result?.content, [{ type: 'text', text: 'echo: hello' }]);
      assert.equal(faulty.sessionsOpened, opened + 1, 'one new upstream session');
    });
    const calls = records.filter((record) => record.method === 'tools/call');
    assert.equal(calls.length, 2);
    assert.ok(calls.every((record) => record.status === 'ok'));
  });
});
