import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { Pool } from 'undici';
import { GatewayError } from '../shared/errors.ts';
import { UpstreamBodyError, dispatchBuffering } from './buffering-dispatch.ts';

describe('dispatchBuffering', () => {
  const servers: Server[] = [];
  const pools: Pool[] = [];
  after(async () => {
    await Promise.all(pools.map((pool) => pool.destroy()));
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function upstream(listener: RequestListener): Promise<Pool> {
    const server = createServer(listener);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    pools.push(pool);
    return pool;
  }

  const post = (body = '{}') => ({
    method: 'POST' as const,
    path: '/mcp',
    headers: { 'content-type': 'application/json' },
    body,
    headersTimeout: 2000,
    bodyTimeout: 2000,
  });

  it('reads a JSON answer whole, with its status and headers, and no body stream', async () => {
    const pool = await upstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-seen': 'yes' });
      res.write('{"jsonrpc":"2.0",');
      res.end('"id":1,"result":{}}');
    });
    const answer = await dispatchBuffering(pool, post(), 1024, undefined);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers['x-seen'], 'yes');
    assert.equal(answer.body, undefined);
    assert.equal(answer.contentType, 'application/json');
    assert.equal(answer.text, '{"jsonrpc":"2.0","id":1,"result":{}}');
    assert.equal(answer.bytes, 36);
  });

  it('hands any other answer over as a stream, and letting it go stops the upstream', async () => {
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    const pool = await upstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: message\ndata: {"n":1}\n\n');
      res.on('close', upstreamClosed);
    });
    const answer = await dispatchBuffering(pool, post(), 1024, undefined);
    assert.equal(answer.contentType, 'text/event-stream');
    assert.ok(answer.body !== undefined);
    const first = await new Promise<string>((resolve) =>
      answer.body.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8'))),
    );
    assert.match(first, /data: \{"n":1\}/);
    answer.body.on('error', () => undefined).destroy();
    await closed;
  });

  it('refuses a JSON answer over the limit with a protocol error', async () => {
    const pool = await upstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ big: 'x'.repeat(2048) }));
    });
    await assert.rejects(dispatchBuffering(pool, post(), 1024, undefined), (error: unknown) => {
      assert.ok(error instanceof GatewayError);
      assert.equal(error.code, 'upstream_protocol_error');
      assert.match(error.message, /larger than 1024 bytes/);
      return true;
    });
  });

  it('tells a JSON answer broken off midway from a failure before any answer', async () => {
    const pool = await upstream((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"jsonrpc":');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await assert.rejects(dispatchBuffering(pool, post(), 1024, undefined), UpstreamBodyError);
    const refused = new Pool('http://127.0.0.1:1');
    pools.push(refused);
    await assert.rejects(dispatchBuffering(refused, post(), 1024, undefined), (error: unknown) => {
      assert.ok(!(error instanceof UpstreamBodyError));
      assert.equal((error as { code?: string }).code, 'ECONNREFUSED');
      return true;
    });
  });

  it('gives up when the signal aborts, before or during the answer', async () => {
    const pool = await upstream((req) => req.resume());
    const controller = new AbortController();
    const pending = dispatchBuffering(pool, post(), 1024, controller.signal);
    setTimeout(() => controller.abort(), 30);
    await assert.rejects(pending, { name: 'AbortError' });
    await assert.rejects(dispatchBuffering(pool, post(), 1024, AbortSignal.abort()), {
      name: 'AbortError',
    });
  });
});
