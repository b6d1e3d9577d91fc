/**
 * Upstreams that answer too much, or too slowly, through a real gateway:
 * the client gets a well-formed JSON-RPC error within the server's timeout,
 * other servers keep answering meanwhile, and the record says what happened.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerResponse } from 'node:http';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { startHostileServer, writeFill } from '../fixtures/hostile-upstreams/hostile-server.ts';
import type { ToolCallHandler } from '../fixtures/hostile-upstreams/hostile-server.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { mcpPost, modernRequest, openLegacySession } from '../support/mcp-http.ts';
import type { RawAnswer } from '../support/mcp-http.ts';

const MARGIN_MS = 1_000;
/** Above the gateway's 64 MiB bound on one upstream message. */
const OVERSIZED = 70 * 1024 * 1024;

interface Harness {
  gateway: TestGateway;
  hostileSession: Record<string, string>;
  healthySession: Record<string, string>;
}

async function withHostile(
  timeoutMs: number,
  onToolCall: ToolCallHandler,
  body: (harness: Harness) => Promise<void>,
): Promise<RequestRecord[]> {
  const hostile = await startHostileServer(onToolCall);
  const healthy = await startHostileServer((res, request) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: { content: [] } }));
  });
  const gateway = await startTestGateway({
    servers: [
      { id: 'hostile', url: hostile.url, timeout_ms: timeoutMs },
      { id: 'healthy', url: healthy.url },
    ],
  });
  try {
    const auth = { authorization: `Bearer ${gateway.apiKey}` };
    const hostileSession = await openLegacySession(gateway.endpoint('hostile'), auth);
    const healthySession = await openLegacySession(gateway.endpoint('healthy'), auth);
    await body({ gateway, hostileSession, healthySession });
    return await gateway.closeAndReadRecords();
  } finally {
    await gateway.close();
    await hostile.close();
    await healthy.close();
  }
}

function callBody(id: string) {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: {} } };
}

/** Calls the tool and gives up after `deadlineMs`, so a gateway that never answers fails fast. */
async function timedCall(
  url: string,
  headers: Record<string, string>,
  id: string,
  deadlineMs: number,
): Promise<{ answer: RawAnswer; elapsedMs: number }> {
  const started = performance.now();
  const answer = await Promise.race([
    mcpPost(url, callBody(id), headers),
    new Promise<never>((_, reject) =>
      setTimeout(
        () => reject(new Error(`no complete answer within ${deadlineMs} ms`)),
        deadlineMs,
      ).unref(),
    ),
  ]);
  return { answer, elapsedMs: performance.now() - started };
}

function assertError(answer: RawAnswer, id: string, reason: string): void {
  const response = answer.messages.at(-1) as {
    id: unknown;
    error?: { code: number; message: string; data?: { reason?: string } };
  };
  assert.equal(response.id, id, JSON.stringify(answer.messages).slice(0, 500));
  assert.ok(response.error, JSON.stringify(response).slice(0, 500));
  assert.equal(response.error.data?.reason, reason, response.error.message);
}

function assertRecorded(records: RequestRecord[], reason: string): void {
  const record = records.find((r) => r.serverId === 'hostile' && r.method === 'tools/call');
  assert.ok(record, 'a tools/call record');
  assert.equal(record.status, 'error');
  assert.equal(record.errorMessage, reason);
}

/** Another server's call answered while the hostile answer is in flight, in good time. */
async function assertOthersServed(harness: Harness): Promise<void> {
  const { answer, elapsedMs } = await timedCall(
    harness.gateway.endpoint('healthy'),
    harness.healthySession,
    'other',
    2_000,
  );
  assert.ok((answer.json as { result?: unknown }).result, JSON.stringify(answer.json));
  assert.ok(elapsedMs < 500, `the other server answered in ${Math.round(elapsedMs)} ms`);
}

function sseHead(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
}

describe('hostile upstream: size and pace', () => {
  it('an SSE event longer than 64 MiB with no line end is cut with upstream_protocol_error, and other servers keep answering', async () => {
    const timeoutMs = 3_000;
    const records = await withHostile(
      timeoutMs,
      (res) => {
        sseHead(res);
        res.write('event: message\ndata: ');
        writeFill(res, OVERSIZED);
      },
      async (harness) => {
        const pending = timedCall(
          harness.gateway.endpoint('hostile'),
          harness.hostileSession,
          'big',
          timeoutMs + MARGIN_MS,
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        await assertOthersServed(harness);
        const { answer } = await pending;
        assertError(answer, 'big', 'upstream_protocol_error');
      },
    );
    assertRecorded(records, 'upstream_protocol_error');
  });

  it('an SSE stream of 64 MiB of data lines that never ends an event is cut with upstream_protocol_error', async () => {
    const timeoutMs = 3_000;
    const records = await withHostile(
      timeoutMs,
      (res) => {
        sseHead(res);
        res.write('event: message\n');
        writeFill(res, OVERSIZED, 'data: xxxxxxxxxxxxxxxxxxxxxxxxxx\n');
      },
      async (harness) => {
        const { answer } = await timedCall(
          harness.gateway.endpoint('hostile'),
          harness.hostileSession,
          'lines',
          timeoutMs + MARGIN_MS,
        );
        assertError(answer, 'lines', 'upstream_protocol_error');
      },
    );
    assertRecorded(records, 'upstream_protocol_error');
  });

  it('a JSON answer that never ends is cut at 64 MiB with upstream_protocol_error', async () => {
    const timeoutMs = 3_000;
    const records = await withHostile(
      timeoutMs,
      (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"jsonrpc":"2.0","id":"endless","result":{"text":"');
        writeFill(res, OVERSIZED);
      },
      async (harness) => {
        const { answer } = await timedCall(
          harness.gateway.endpoint('hostile'),
          harness.hostileSession,
          'endless',
          timeoutMs + MARGIN_MS,
        );
        assertError(answer, 'endless', 'upstream_protocol_error');
      },
    );
    assertRecorded(records, 'upstream_protocol_error');
  });

  it('a JSON answer trickled one byte at a time is bounded by the server timeout as a whole', async () => {
    const timeoutMs = 500;
    const timers = new Set<NodeJS.Timeout>();
    const records = await withHostile(
      timeoutMs,
      (res, request) => {
        const text = JSON.stringify({ jsonrpc: '2.0', id: request.id, result: { content: [] } });
        res.writeHead(200, { 'content-type': 'application/json' });
        let at = 0;
        const timer = setInterval(() => {
          if (res.destroyed || at >= text.length) return void clearInterval(timer);
          res.write(text[at++]);
        }, 100);
        timers.add(timer);
      },
      async (harness) => {
        const { answer, elapsedMs } = await timedCall(
          harness.gateway.endpoint('hostile'),
          harness.hostileSession,
          'slow',
          timeoutMs + MARGIN_MS,
        );
        assertError(answer, 'slow', 'upstream_timeout');
        assert.ok(elapsedMs < timeoutMs + MARGIN_MS, `${Math.round(elapsedMs)} ms`);
      },
    );
    for (const timer of timers) clearInterval(timer);
    assertRecorded(records, 'upstream_timeout');
  });
  it('a 2026-07-28 JSON answer trickled one byte at a time is bounded by the server timeout as a whole', async () => {
    const timeoutMs = 500;
    const timers = new Set<NodeJS.Timeout>();
    const records = await withHostile(
      timeoutMs,
      (res, request) => {
        const text = JSON.stringify({
          jsonrpc: '2.0',
          id: request.id,
          result: { content: [], resultType: 'complete' },
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        let at = 0;
        const timer = setInterval(() => {
          if (res.destroyed || at >= text.length) return void clearInterval(timer);
          res.write(text[at++]);
        }, 100);
        timers.add(timer);
      },
      async (harness) => {
        const modern = modernRequest('slow', 'tools/call', { name: 'echo', arguments: {} });
        const started = performance.now();
        const answer = await Promise.race([
          mcpPost(harness.gateway.endpoint('hostile'), modern.body, {
            authorization: `Bearer ${harness.gateway.apiKey}`,
            ...modern.headers,
          }),
          new Promise<never>((_, reject) =>
            setTimeout(
              () => reject(new Error('no complete answer')),
              timeoutMs + MARGIN_MS,
            ).unref(),
          ),
        ]);
        assertError(answer, 'slow', 'upstream_timeout');
        assert.ok(performance.now() - started < timeoutMs + MARGIN_MS);
      },
    );
    for (const timer of timers) clearInterval(timer);
    assertRecorded(records, 'upstream_timeout');
  });
});
