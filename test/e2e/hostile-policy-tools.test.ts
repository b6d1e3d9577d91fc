/**
 * A disabled or renamed tool against the paths a client could try instead
 * of a plain call: a 2025-03-26 batch, a name given twice in one body, a
 * case variant, and both era bridges. Each is refused as an absent tool, and
 * what reaches the upstream is what the policy judged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { FixtureEra, RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';
import { connectClient } from '../support/sdk-client.ts';

const POLICY = {
  tools: {
    test_simple_text: { enabled: false },
    test_image_content: { name: 'image' },
  },
};

type Answer = { id: unknown; result?: { content?: unknown[] }; error?: { message: string } };

function call(id: number, name: string): object {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } };
}

describe('hidden tools on every path', () => {
  const upstreams: RunningFixtureServer[] = [];
  let gateway: TestGateway;

  before(async () => {
    const eras: FixtureEra[] = ['dual', 'legacy', 'modern'];
    for (const era of eras) upstreams.push(await startFixtureServer({ era }));
    gateway = await startTestGateway({
      servers: eras.map((era, k) => ({ id: era, url: upstreams[k]!.url })),
    });
    for (const era of eras) {
      const response = await request(
        `${gateway.url}/api/v1/workspaces/acme/servers/${era}/policy`,
        {
          method: 'PUT',
          headers: {
            authorization: `Bearer ${gateway.apiKey}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify(POLICY),
        },
      );
      assert.equal(response.statusCode, 200, await response.body.text());
    }
  });
  after(async () => {
    await gateway?.close();
    for (const upstream of upstreams) await upstream.close();
  });

  async function session(version: string): Promise<Record<string, string>> {
    const auth = { authorization: `Bearer ${gateway.apiKey}` };
    const init = initializeBody('init');
    init.params.protocolVersion = version;
    const opened = await mcpPost(gateway.endpoint('dual'), init, auth);
    assert.equal(opened.status, 200, opened.text);
    const headers = {
      ...auth,
      'mcp-session-id': String(opened.headers['mcp-session-id']),
      'mcp-protocol-version': version,
    };
    await mcpPost(
      gateway.endpoint('dual'),
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      headers,
    );
    return headers;
  }

  it('2025-03-26 batch: hidden, renamed-away and case-variant names are refused, the new name runs', async () => {
    const headers = await session('2025-03-26');
    const answer = await mcpPost(
      gateway.endpoint('dual'),
      [
        call(1, 'test_simple_text'),
        call(2, 'test_image_content'),
        call(3, 'TEST_SIMPLE_TEXT'),
        call(4, 'image'),
        { jsonrpc: '2.0', id: 5, method: 'tools/list', params: {} },
      ],
      headers,
    );
    assert.equal(answer.status, 200, answer.text);
    const byId = new Map((answer.json as Answer[]).map((item) => [item.id, item]));
    for (const id of [1, 2, 3]) assert.match(byId.get(id)?.error?.message ?? '', /not found/);
    assert.equal((byId.get(4)?.result?.content as Array<{ type: string }>)[0]?.type, 'image');
    const names = (byId.get(5)?.result as unknown as { tools: Array<{ name: string }> }).tools.map(
      (tool) => tool.name,
    );
    assert.ok(names.includes('image') && !names.includes('test_simple_text'), names.join());
    assert.ok(!names.includes('test_image_content'), names.join());
  });

  it('a name given twice in one body: the upstream runs the name the policy judged', async () => {
    const headers = await session('2025-11-25');
    const body = (first: string, second: string) =>
      `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"${first}","arguments":{},"name":"${second}"}}`;
    const refused = await mcpPost(
      gateway.endpoint('dual'),
      body('image', 'test_simple_text'),
      headers,
    );
    assert.match(JSON.stringify(refused.json), /Tool test_simple_text not found/);
    const ran = await mcpPost(gateway.endpoint('dual'), body('test_simple_text', 'image'), headers);
    assert.equal((ran.json as Answer).result?.content?.length, 1, JSON.stringify(ran.json));
    assert.equal(
      ((ran.json as Answer).result?.content as Array<{ type: string }>)[0]?.type,
      'image',
    );
  });

  for (const [label, server, mode] of [
    ['2026-07-28 client, 2025-only upstream', 'legacy', { pin: '2026-07-28' }],
    ['2025 client, 2026-07-28-only upstream', 'modern', 'legacy'],
  ] as const) {
    it(`${label}: the disabled tool is neither listed nor callable`, async () => {
      const client = await connectClient(gateway, server, { mode });
      try {
        const names = (await client.listTools()).tools.map((tool) => tool.name);
        assert.ok(names.includes('image') && !names.includes('test_simple_text'), names.join());
        for (const name of ['test_simple_text', 'test_image_content'])
          await assert.rejects(client.callTool({ name, arguments: {} }), /not found/);
        const image = await client.callTool({ name: 'image', arguments: {} });
        assert.equal((image.content as Array<{ type: string }>)[0]?.type, 'image');
      } finally {
        await client.close();
      }
    });
  }
});
