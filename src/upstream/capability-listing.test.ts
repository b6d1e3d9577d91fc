import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { listCapabilities } from './capability-listing.ts';
import { createAddressGuard } from './ssrf-guard.ts';
import { createStreamableHttpUpstream } from './streamable-http.ts';

/**
 * A 2025-era server on raw HTTP whose `tools/list` has `pages` pages
 * (`loop`: the last page points back at the first), and which records
 * every method and the DELETE that ends the session.
 */
function startPagedServer(options: { pages: number; loop?: boolean }) {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    if (req.method === 'DELETE') {
      seen.push('DELETE');
      res.writeHead(200).end();
      return;
    }
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const message = JSON.parse(body) as {
        id?: number | string;
        method: string;
        params?: { cursor?: string };
      };
      seen.push(message.method);
      if (message.id === undefined) return void res.writeHead(202).end();
      const page = Number(message.params?.cursor ?? 0);
      const next = page + 1 < options.pages ? String(page + 1) : options.loop ? '0' : undefined;
      const result =
        message.method === 'initialize'
          ? {
              protocolVersion: '2025-11-25',
              capabilities: { tools: {} },
              serverInfo: { name: 'paged', version: '1' },
            }
          : {
              tools: [{ name: `tool_${page}`, inputSchema: { type: 'object' } }, 'not a tool'],
              ...(next === undefined ? {} : { nextCursor: next }),
            };
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'session-1' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
    });
  });
  return { server, seen };
}

describe('listCapabilities', () => {
  const guard = createAddressGuard(['127.0.0.0/8']);
  const servers: ReturnType<typeof startPagedServer>[] = [];
  const urlOf = async (paged: ReturnType<typeof startPagedServer>) => {
    servers.push(paged);
    await new Promise<void>((resolve) => paged.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(paged.server.address() as AddressInfo).port}/mcp`;
  };
  after(() => {
    for (const { server } of servers) server.close();
  });

  it('follows nextCursor to the last page, lists only declared capabilities, and ends the session', async () => {
    const paged = startPagedServer({ pages: 3 });
    const upstream = createStreamableHttpUpstream('acme/paged', await urlOf(paged), guard);
    try {
      const listing = await listCapabilities(upstream, { timeoutMs: 2000 });
      assert.deepEqual(
        listing.tools.map((tool) => tool.name),
        ['tool_0', 'tool_1', 'tool_2'],
      );
      assert.equal(listing.truncated, false);
      assert.equal(listing.era, 'legacy');
      assert.deepEqual(listing.resources, []);
      assert.ok(!paged.seen.includes('prompts/list'));
      assert.equal(paged.seen.at(-1), 'DELETE');
    } finally {
      await upstream.close();
    }
  });

  it('stops at the page cap, and at a cursor seen before, and says the list was truncated', async () => {
    for (const [options, read] of [
      [{ pages: 50 }, 4],
      [{ pages: 2, loop: true }, 3],
    ] as const) {
      const paged = startPagedServer(options);
      const upstream = createStreamableHttpUpstream('acme/paged', await urlOf(paged), guard);
      try {
        const listing = await listCapabilities(upstream, { timeoutMs: 2000, maxPages: 4 });
        assert.equal(listing.truncated, true);
        assert.equal(listing.tools.length, read);
      } finally {
        await upstream.close();
      }
    }
  });
});
