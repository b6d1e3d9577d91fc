/**
 * Upstream HTTP refusals through a real gateway, in both eras: a 4xx without
 * a JSON-RPC body is the upstream refusing (upstream_refused, with its status
 * and Retry-After), never "a malformed answer"; a 4xx with a JSON-RPC error
 * body is the upstream's own answer and passes through.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ServerResponse } from 'node:http';
import { startHostileServer } from '../fixtures/hostile-upstreams/hostile-server.ts';
import type { RunningHostileServer } from '../fixtures/hostile-upstreams/hostile-server.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { mcpPost, modernRequest, openLegacySession } from '../support/mcp-http.ts';
import { request } from 'undici';

interface RpcError {
  code: number;
  message: string;
  data?: { reason?: string; retryable?: boolean; status?: number; retryAfterSeconds?: number };
}

let hostile: RunningHostileServer;
let gateway: TestGateway;
let auth: Record<string, string>;

before(async () => {
  hostile = await startHostileServer((res) => res.writeHead(500).end());
  gateway = await startTestGateway({
    servers: [{ id: 'hostile', url: hostile.url, timeout_ms: 1_500 }],
  });
  auth = { authorization: `Bearer ${gateway.apiKey}` };
});

after(async () => {
  await gateway.close();
  await hostile.close();
});

const legacySession = (): Promise<Record<string, string>> =>
  openLegacySession(gateway.endpoint('hostile'), auth);

/** Calls the tool in `era` and returns the JSON-RPC error the client got for `id`. */
async function callError(era: '2025' | 'modern', id: string): Promise<RpcError> {
  const url = gateway.endpoint('hostile');
  const answer =
    era === '2025'
      ? await mcpPost(
          url,
          { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: {} } },
          await legacySession(),
        )
      : await (async () => {
          const modern = modernRequest(id, 'tools/call', { name: 'echo', arguments: {} });
          return mcpPost(url, modern.body, { ...auth, ...modern.headers });
        })();
  const response = answer.messages.at(-1) as { id?: unknown; error?: RpcError } | undefined;
  assert.equal(response?.id, id, `${answer.status} ${answer.text}`);
  assert.ok(response.error, JSON.stringify(response));
  return response.error;
}

function refuse(status: number, headers: Record<string, string> = {}) {
  return (res: ServerResponse): void => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end('refused by policy');
  };
}

const STATUSES = [400, 401, 403, 404, 413, 415, 422, 429];

for (const era of ['2025', 'modern'] as const) {
  describe(`upstream HTTP refusals (${era} era)`, () => {
    // A 2025 upstream's 404 to a call carrying its session id says the session ended
    // (2025-11-25 transports, "Session Management"): re-opened once, then session_not_found.
    for (const status of era === '2025' ? STATUSES.filter((s) => s !== 404) : STATUSES) {
      it(`an upstream ${status} without a JSON-RPC body is upstream_refused naming the status`, async () => {
        hostile.onToolCall = refuse(status);
        const error = await callError(era, `s${status}`);
        assert.equal(error.data?.reason, 'upstream_refused', error.message);
        assert.equal(error.code, -32001);
        assert.equal(error.data?.status, status);
        assert.equal(error.data?.retryable, status === 429);
        assert.match(error.message, new RegExp(`HTTP ${status}`));
        assert.equal(error.data?.retryAfterSeconds, undefined);
      });
    }

    if (era === '2025')
      it('an upstream 404 to a call on its session is session_not_found, so the client initializes again', async () => {
        hostile.onToolCall = refuse(404);
        const error = await callError(era, 's404');
        assert.equal(error.data?.reason, 'session_not_found', error.message);
      });

    it('an upstream 403 with a JSON body that is not JSON-RPC is upstream_refused', async () => {
      hostile.onToolCall = (res) => {
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end('{"error":"forbidden"}');
      };
      const error = await callError(era, 'json403');
      assert.equal(error.data?.reason, 'upstream_refused', error.message);
      assert.equal(error.data?.status, 403);
    });

    it('an upstream 429 with Retry-After in seconds carries retryAfterSeconds', async () => {
      hostile.onToolCall = refuse(429, { 'retry-after': '7' });
      const error = await callError(era, 'ra-seconds');
      assert.equal(error.data?.reason, 'upstream_refused');
      assert.equal(error.data?.retryable, true);
      assert.equal(error.data?.retryAfterSeconds, 7);
    });

    it('an upstream 429 with Retry-After as an HTTP date carries the seconds until then', async () => {
      hostile.onToolCall = refuse(429, {
        'retry-after': new Date(Date.now() + 30_000).toUTCString(),
      });
      const error = await callError(era, 'ra-date');
      assert.equal(error.data?.reason, 'upstream_refused');
      const seconds = error.data?.retryAfterSeconds;
      assert.ok(typeof seconds === 'number' && seconds >= 28 && seconds <= 31, String(seconds));
    });

    it('an upstream 429 with an unreadable Retry-After carries no retryAfterSeconds', async () => {
      hostile.onToolCall = refuse(429, { 'retry-after': 'soon-ish' });
      const error = await callError(era, 'ra-bad');
      assert.equal(error.data?.reason, 'upstream_refused');
      assert.equal(error.data?.retryAfterSeconds, undefined);
    });

    for (const status of [400, 401, 403, 422, 429]) {
      it(`an upstream ${status} with a JSON-RPC error body passes through as the upstream's answer`, async () => {
        hostile.onToolCall = (res, call) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              jsonrpc: '2.0',
              id: call.id,
              error: { code: -32602, message: `upstream says no (${status})` },
            }),
          );
        };
        const error = await callError(era, `body${status}`);
        assert.equal(error.code, -32602);
        assert.equal(error.message, `upstream says no (${status})`);
        assert.equal(error.data?.reason, undefined);
      });
    }

    it('an upstream 503 is still upstream_error, with its status and Retry-After', async () => {
      hostile.onToolCall = refuse(503, { 'retry-after': '3' });
      const error = await callError(era, 's503');
      assert.equal(error.data?.reason, 'upstream_error');
      assert.equal(error.data?.retryable, true);
      assert.equal(error.data?.status, 503);
      assert.equal(error.data?.retryAfterSeconds, 3);
    });
  });
}

describe('2025 GET stream resumption', () => {
  it("a Last-Event-ID the upstream refuses with 400 is the client's bad request, not an upstream protocol error", async () => {
    const headers = await legacySession();
    hostile.onGet = (res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('unknown event id');
    };
    try {
      const response = await request(gateway.endpoint('hostile'), {
        method: 'GET',
        headers: { ...headers, accept: 'text/event-stream', 'last-event-id': 'garbage%%%' },
      });
      const text = await response.body.text();
      assert.equal(response.statusCode, 400, text);
      const body = JSON.parse(text) as { error?: RpcError };
      assert.equal(body.error?.data?.reason, 'bad_request', text);
      assert.match(body.error?.message ?? '', /Last-Event-ID/);
    } finally {
      hostile.onGet = undefined;
    }
  });

  it('the gateway keeps serving the session after the refused resumption', async () => {
    const headers = await legacySession();
    hostile.onToolCall = (res, call) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: call.id, result: { content: [] } }));
    };
    const answer = await mcpPost(
      gateway.endpoint('hostile'),
      {
        jsonrpc: '2.0',
        id: 'after',
        method: 'tools/call',
        params: { name: 'echo', arguments: {} },
      },
      headers,
    );
    assert.deepEqual((answer.json as { result?: unknown }).result, { content: [] });
  });
});
