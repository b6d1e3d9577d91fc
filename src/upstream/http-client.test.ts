/**
 * Non-2xx upstream answers carry their HTTP status on the error, whichever
 * way the transport read them (JSON error body, plain text, SSE GET).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { GatewayError } from '../shared/errors.ts';
import { UpstreamHttpError, retryAfterSeconds, upstreamStatusOf } from './http-client.ts';
import { createAddressGuard } from './ssrf-guard.ts';
import { createStreamableHttpUpstream } from './streamable-http.ts';

/** Answers every request with the status named by the `x-answer` header and a body of its kind. */
function scriptedServer(): http.Server {
  return http.createServer((request, response) => {
    request.resume();
    const [status, kind] = String(request.headers['x-answer'] ?? '200 json').split(' ');
    const code = Number(status);
    if (kind === 'json') {
      response.writeHead(code, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'no entry' } }),
      );
      return;
    }
    response.writeHead(code, { 'content-type': 'text/plain' });
    response.end('refused: answered HTTP 401 earlier');
  });
}

const ping = { jsonrpc: '2.0' as const, id: 1, method: 'ping' };

describe('upstream HTTP status on transport errors', () => {
  const server = scriptedServer();
  let url = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const upstream = () =>
    createStreamableHttpUpstream('acme/linear', url, createAddressGuard(['*']));
  const call = (answer: string) => ({ timeoutMs: 2000, headers: { 'x-answer': answer } });

  it('carries 401 from a POST answered with a JSON-RPC error body', async () => {
    const target = upstream();
    await assert.rejects(target.post(ping, call('401 json')), (error: unknown) => {
      assert.ok(error instanceof UpstreamHttpError);
      assert.equal(upstreamStatusOf(error), 401);
      assert.equal(error.code, 'upstream_refused');
      assert.equal(error.retryable, false);
      assert.deepEqual(error.data, { status: 401 });
      assert.match(error.message, /answered HTTP 401: no entry/);
      return true;
    });
    await target.close();
  });

  it('carries 401 from a POST answered with plain text', async () => {
    const target = upstream();
    await assert.rejects(target.post(ping, call('401 text')), (error: unknown) => {
      assert.equal(upstreamStatusOf(error), 401);
      return true;
    });
    await target.close();
  });

  it('carries 5xx statuses with the upstream_error code', async () => {
    const target = upstream();
    await assert.rejects(target.post(ping, call('503 json')), (error: unknown) => {
      assert.equal(upstreamStatusOf(error), 503);
      assert.equal((error as GatewayError).code, 'upstream_error');
      return true;
    });
    await target.close();
  });

  it('carries 401 and 400 from the standalone GET stream', async () => {
    const target = upstream();
    await assert.rejects(target.listen(call('401 text')), (error: unknown) => {
      assert.equal(upstreamStatusOf(error), 401);
      return true;
    });
    await assert.rejects(target.listen({ ...call('400 json'), sessionId: 's1' }), (error) => {
      assert.equal(upstreamStatusOf(error), 400);
      return true;
    });
    await target.close();
  });

  it('gives no status for failures that are not answers', async () => {
    assert.equal(
      upstreamStatusOf(new GatewayError('upstream_error', 'answered HTTP 401')),
      undefined,
    );
    assert.equal(upstreamStatusOf(new Error('HTTP 401')), undefined);
    const target = createStreamableHttpUpstream(
      'acme/linear',
      'http://127.0.0.1:9/mcp',
      createAddressGuard(['*']),
    );
    await assert.rejects(target.post(ping, { timeoutMs: 2000 }), (error: unknown) => {
      assert.equal((error as GatewayError).code, 'upstream_unavailable');
      assert.equal(upstreamStatusOf(error), undefined);
      return true;
    });
    await target.close();
  });
});

describe('upstream refusals', () => {
  it('reads Retry-After as delta-seconds or as an HTTP-date, and ignores anything else', () => {
    assert.equal(retryAfterSeconds('120'), 120);
    assert.equal(retryAfterSeconds(['5', '9']), 5);
    const inTen = retryAfterSeconds(new Date(Date.now() + 10_000).toUTCString());
    assert.ok(inTen !== undefined && inTen >= 9 && inTen <= 11, String(inTen));
    assert.equal(retryAfterSeconds(new Date(Date.now() - 60_000).toUTCString()), 0);
    for (const bad of [undefined, '', '-3', '1.5', 'soon'])
      assert.equal(retryAfterSeconds(bad), undefined, String(bad));
  });

  it('names 4xx refusals upstream_refused, retryable only after 408, 425 and 429', () => {
    for (const status of [400, 401, 403, 404, 413, 415, 422]) {
      const error = new UpstreamHttpError(status, 'no');
      assert.equal(error.code, 'upstream_refused');
      assert.equal(error.retryable, false, String(status));
    }
    for (const status of [408, 425, 429])
      assert.equal(new UpstreamHttpError(status, 'later').retryable, true, String(status));
    const limited = new UpstreamHttpError(429, 'later', { retryAfter: '30' });
    assert.deepEqual(limited.data, { status: 429, retryAfterSeconds: 30 });
    assert.equal(new UpstreamHttpError(502, 'down').code, 'upstream_error');
    assert.equal(new UpstreamHttpError(302, 'moved').code, 'upstream_protocol_error');
  });
});
