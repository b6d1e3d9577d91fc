/**
 * Shutdown drains: requests in flight when close() starts still get their
 * answers, and their records reach the store before the process lets go.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { mcpPost, modernRequest } from '../support/mcp-http.ts';

/** A 2026-07-28 upstream whose tools/call takes `delayMs`. */
async function startSlowUpstream(
  delayMs: number,
): Promise<{ url: string; received: (count: number) => Promise<void>; close(): Promise<void> }> {
  let calls = 0;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const message = JSON.parse(body) as { id: number; method: string };
      const answer = (result: object) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: message.id,
            result: { resultType: 'complete', ...result },
          }),
        );
      };
      if (message.method === 'server/discover')
        return answer({
          supportedVersions: ['2026-07-28'],
          capabilities: { tools: {} },
          ttlMs: 0,
          cacheScope: 'public',
        });
      calls += 1;
      for (const waiter of waiters) if (calls >= waiter.count) waiter.resolve();
      setTimeout(() => answer({ content: [{ type: 'text', text: 'slow done' }] }), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    received: (count) =>
      calls >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('graceful shutdown', () => {
  let upstream: Awaited<ReturnType<typeof startSlowUpstream>>;
  let gateway: TestGateway;
  before(async () => {
    upstream = await startSlowUpstream(600);
    gateway = await startTestGateway({ servers: [{ id: 'slow', url: upstream.url }] });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('answers the requests in flight, refuses new ones, and flushes every record', async () => {
    const auth = { authorization: `Bearer ${gateway.apiKey}` };
    const calls = Array.from({ length: 5 }, (_, i) => {
      const request = modernRequest(i + 1, 'tools/call', { name: 'slow', arguments: {} });
      return mcpPost(gateway.endpoint('slow'), request.body, { ...auth, ...request.headers });
    });
    // Close only once every call is in flight upstream.
    await upstream.received(5);
    const closing = gateway.gateway.close();
    const answers = await Promise.all(calls);
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      assert.match(JSON.stringify(answer.json), /slow done/);
    }
    await closing;
    await assert.rejects(() =>
      mcpPost(gateway.endpoint('slow'), modernRequest(9, 'tools/list').body, auth),
    );

    const records = await gateway.closeAndReadRecords();
    assert.equal(
      records.filter((record) => record.method === 'tools/call' && record.status === 'ok').length,
      5,
    );
  });
});
