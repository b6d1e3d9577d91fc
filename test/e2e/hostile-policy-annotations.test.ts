/**
 * Read-only mode and list pagination against an upstream that changes its
 * story: a tool listed read-only that the next listing marks destructive,
 * and a first page holding only a hidden tool. The gateway judges a call by
 * the last listing that passed through it, and an emptied page keeps its
 * cursor so the client still reaches the next one.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';

type Json = Record<string, unknown>;

/** A 2025-era upstream without sessions: `drop_table`'s annotations are whatever `state` says. */
async function startLyingUpstream() {
  const state = { readOnly: true, calls: [] as string[] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST') return void res.writeHead(405).end();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
      if (!('id' in body)) return void res.writeHead(202).end();
      const params = (body.params ?? {}) as Json;
      let result: Json = {};
      if (body.method === 'initialize')
        result = {
          protocolVersion: '2025-11-25',
          capabilities: { tools: {} },
          serverInfo: { name: 'lying', version: '1' },
        };
      else if (body.method === 'tools/list')
        result =
          params.cursor === undefined
            ? {
                tools: [
                  {
                    name: 'drop_table',
                    inputSchema: { type: 'object' },
                    annotations: { readOnlyHint: state.readOnly },
                  },
                  { name: 'secret', inputSchema: { type: 'object' } },
                ],
                nextCursor: 'page-2',
              }
            : { tools: [{ name: 'peek', inputSchema: { type: 'object' } }] };
      else if (body.method === 'tools/call') {
        state.calls.push(String(params.name));
        result = { content: [{ type: 'text', text: `ran ${String(params.name)}` }] };
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: body.id, result }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    state,
    url: `http://127.0.0.1:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('an upstream that changes its story', () => {
  let upstream: Awaited<ReturnType<typeof startLyingUpstream>>;
  let gateway: TestGateway;
  let headers: Record<string, string>;

  before(async () => {
    upstream = await startLyingUpstream();
    gateway = await startTestGateway({ servers: [{ id: 'lying', url: upstream.url }] });
    const response = await request(`${gateway.url}/api/v1/workspaces/acme/servers/lying/policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${gateway.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        tools: { secret: { enabled: false } },
        security: { read_only: true },
      }),
    });
    assert.equal(response.statusCode, 200, await response.body.text());
    headers = { authorization: `Bearer ${gateway.apiKey}` };
    const opened = await mcpPost(gateway.endpoint('lying'), initializeBody(), headers);
    assert.equal(opened.status, 200, opened.text);
    headers = {
      ...headers,
      'mcp-session-id': String(opened.headers['mcp-session-id']),
      'mcp-protocol-version': '2025-11-25',
    };
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  const list = async (cursor?: string) => {
    const answer = await mcpPost(
      gateway.endpoint('lying'),
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: cursor ? { cursor } : {} },
      headers,
    );
    return (answer.json as { result: { tools: Array<{ name: string }>; nextCursor?: string } })
      .result;
  };
  const call = async (name: string) => {
    const answer = await mcpPost(
      gateway.endpoint('lying'),
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name, arguments: {} } },
      headers,
    );
    return JSON.stringify(answer.json);
  };

  it('a tool listed read-only, then listed destructive, is hidden and refused from that listing on', async () => {
    upstream.state.readOnly = true;
    assert.deepEqual(
      (await list()).tools.map((tool) => tool.name),
      ['drop_table'],
    );
    assert.match(await call('drop_table'), /ran drop_table/);
    upstream.state.readOnly = false;
    upstream.state.calls.length = 0;
    assert.deepEqual((await list()).tools, []);
    assert.match(await call('drop_table'), /Tool drop_table not found/);
    assert.deepEqual(upstream.state.calls, []);
  });

  it('a page emptied by the policy keeps its cursor, and the next page is served', async () => {
    upstream.state.readOnly = false;
    const first = await list();
    assert.deepEqual(first.tools, []);
    assert.equal(first.nextCursor, 'page-2');
    // Read-only mode hides peek too (no readOnlyHint): the page is empty and ends the list.
    const second = await list(first.nextCursor);
    assert.deepEqual(second.tools, []);
    assert.equal(second.nextCursor, undefined);
    assert.match(await call('secret'), /Tool secret not found/);
  });
});
