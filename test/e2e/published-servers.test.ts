/**
 * A published MCP server behind the gateway: `@modelcontextprotocol/server-everything`
 * in its Streamable HTTP mode (SDK v1, 2025 protocol era only), reached with
 * the SDK v2 client in both eras: 2025 directly, 2026-07-28 through the
 * gateway's era bridge. What the upstream sends must reach the client
 * intact, unknown fields included.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { resultText } from '../support/sdk-client.ts';
import { initializeBody, mcpPost, modernRequest } from '../support/mcp-http.ts';
import { EXIT, inspect } from '../support/inspector-cli.ts';
import { startEverything } from '../support/server-everything.ts';
import type { RunningEverything } from '../support/server-everything.ts';

async function withEverything(
  test: (gateway: TestGateway, upstream: RunningEverything) => Promise<void>,
) {
  const upstream = await startEverything();
  let gateway: TestGateway | undefined;
  try {
    gateway = await startTestGateway({ servers: [{ id: 'everything', url: upstream.url }] });
    await test(gateway, upstream);
  } finally {
    await gateway?.close();
    await upstream.close();
  }
}

type Mode = 'legacy' | 'auto' | { pin: string };

async function connect(gateway: TestGateway, mode: Mode): Promise<Client> {
  const client = new Client(
    { name: 'published-servers-e2e', version: '1.0.0' },
    { versionNegotiation: { mode } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(gateway.endpoint('everything')), {
    requestInit: { headers: { authorization: `Bearer ${gateway.apiKey}` } },
  });
  await client.connect(transport);
  return client;
}

const text = (content: unknown) => resultText({ content });

/** The everyday round: discovery, a tool, a tool with progress, a resource, a prompt. */
async function exerciseEverything(client: Client): Promise<void> {
  const { tools } = await client.listTools();
  const names = tools.map((tool) => tool.name);
  for (const expected of ['echo', 'get-sum', 'trigger-long-running-operation'])
    assert.ok(names.includes(expected), `${expected} in ${names.join(', ')}`);

  const echoed = await client.callTool({
    name: 'echo',
    arguments: { message: 'through the gateway' },
  });
  assert.equal(text(echoed.content), 'Echo: through the gateway');

  const progress: Array<{ progress: number; total?: number }> = [];
  const long = await client.callTool(
    { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
    { onprogress: (update) => progress.push(update) },
  );
  assert.match(text(long.content), /Long running operation completed/);
  assert.deepEqual(
    progress.map((update) => [update.progress, update.total]),
    [
      [1, 3],
      [2, 3],
      [3, 3],
    ],
  );

  const { resources } = await client.listResources();
  const document = resources.find((resource) => resource.uri.endsWith('architecture.md'));
  assert.ok(document, resources.map((resource) => resource.uri).join(', '));
  const read = await client.readResource({ uri: document.uri });
  const [contents] = read.contents;
  assert.equal(contents?.uri, document.uri);
  assert.match(String((contents as { text?: string }).text), /Architecture/);

  const prompt = await client.getPrompt({ name: 'args-prompt', arguments: { city: 'Lisbon' } });
  assert.match(text(prompt.messages.map((message) => message.content)), /Lisbon/);
}

/** A raw 2025-era session: the result of each list method exactly as sent, no SDK schemas in between. */
async function rawLists(url: string, headers: Record<string, string> = {}) {
  const init = await mcpPost(url, initializeBody('init'), headers);
  assert.equal(init.status, 200, init.text);
  const session = {
    ...headers,
    'mcp-session-id': String(init.headers['mcp-session-id']),
    'mcp-protocol-version': String(
      (init.json as { result: { protocolVersion: string } }).result.protocolVersion,
    ),
  };
  await mcpPost(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session);
  const lists: Record<string, unknown> = {};
  for (const method of [
    'tools/list',
    'prompts/list',
    'resources/list',
    'resources/templates/list',
  ]) {
    const answer = await mcpPost(url, { jsonrpc: '2.0', id: method, method }, session);
    const response = answer.messages.find((message) => (message as { id?: unknown }).id === method);
    assert.ok(response, `${method}: ${JSON.stringify(answer.messages)}`);
    lists[method] = (response as { result: unknown }).result;
  }
  return lists;
}

describe('server-everything (Streamable HTTP) behind the gateway', () => {
  it('SDK v2 client, 2025 era: tools, echo, progress, a resource and a prompt', async () => {
    await withEverything(async (gateway) => {
      const client = await connect(gateway, 'legacy');
      try {
        assert.equal(client.getServerVersion()?.name, 'mcp-servers/everything');
        await exerciseEverything(client);
      } finally {
        await client.close();
      }
    });
  });

  it('SDK v2 client in auto mode negotiates 2026-07-28 through era bridging', async () => {
    await withEverything(async (gateway) => {
      const client = await connect(gateway, 'auto');
      try {
        assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
        await exerciseEverything(client);
      } finally {
        await client.close();
      }
    });
  });

  it('SDK v2 client pinned to 2026-07-28 reaches the 2025-only server through era bridging', async () => {
    await withEverything(async (gateway) => {
      const client = await connect(gateway, { pin: '2026-07-28' });
      try {
        assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
        assert.equal(client.getServerVersion()?.name, 'mcp-servers/everything');
        await exerciseEverything(client);
      } finally {
        await client.close();
      }
    });
  });

  it('the Inspector CLI lists tools and calls echo through the gateway, in both eras', async () => {
    await withEverything(async (gateway) => {
      const auth = `Bearer ${gateway.apiKey}`;
      for (const era of ['legacy', 'modern'] as const) {
        const list = await inspect(
          gateway.endpoint('everything'),
          ['--protocol-era', era, '--method', 'tools/list'],
          auth,
        );
        assert.equal(list.code, EXIT.ok, list.stderr);
        const { tools } = list.output?.result as { tools: Array<{ name: string }> };
        assert.ok(
          tools.some((tool) => tool.name === 'echo'),
          era,
        );
        const call = await inspect(
          gateway.endpoint('everything'),
          [
            '--protocol-era',
            era,
            '--method',
            'tools/call',
            '--tool-name',
            'echo',
            '--tool-arg',
            'message=through the gateway',
          ],
          auth,
        );
        assert.equal(call.code, EXIT.ok, call.stderr);
        assert.match(JSON.stringify(call.output?.result), /Echo: through the gateway/, era);
      }
    });
  });

  it('list results, unknown fields included, are identical through the gateway and direct', async () => {
    await withEverything(async (gateway, upstream) => {
      const direct = await rawLists(upstream.url);
      const through = await rawLists(gateway.endpoint('everything'), {
        authorization: `Bearer ${gateway.apiKey}`,
      });
      assert.deepEqual(through, direct);
      // Fields the SDK v2 schemas do not know must not be stripped on the way.
      const echo = (direct['tools/list'] as { tools: Array<Record<string, unknown>> }).tools.find(
        (tool) => tool.name === 'echo',
      );
      assert.ok(echo && 'execution' in echo && 'annotations' in echo, JSON.stringify(echo));
    });
  });

  it('clients of both eras keep working after the server restarts and forgets its sessions', async () => {
    // server-everything answers an unknown session with 400 -32000, not the 404 the spec asks for.
    const first = await startEverything();
    const port = Number(new URL(first.url).port);
    let upstream = first;
    const gateway = await startTestGateway({ servers: [{ id: 'everything', url: first.url }] });
    const clients: Client[] = [];
    try {
      const legacy = await connect(gateway, 'legacy');
      const modern = await connect(gateway, { pin: '2026-07-28' });
      clients.push(legacy, modern);
      const echo = async (client: Client, message: string) =>
        text((await client.callTool({ name: 'echo', arguments: { message } })).content);
      assert.equal(await echo(legacy, 'before'), 'Echo: before');
      assert.equal(await echo(modern, 'before'), 'Echo: before');

      await upstream.close();
      upstream = await startEverything(port);

      assert.equal(await echo(legacy, 'after'), 'Echo: after');
      assert.equal(await echo(modern, 'after'), 'Echo: after');
      const late = await connect(gateway, 'legacy');
      clients.push(late);
      assert.equal(await echo(late, 'new client'), 'Echo: new client');
    } finally {
      await Promise.allSettled(clients.map((client) => client.close()));
      await gateway.close();
      await upstream.close();
    }
  });

  it('tool definitions reach a 2026-07-28 client through the bridge unchanged', async () => {
    await withEverything(async (gateway, upstream) => {
      const direct = (await rawLists(upstream.url))['tools/list'] as { tools: unknown[] };
      const modern = modernRequest('tools', 'tools/list');
      const answer = await mcpPost(gateway.endpoint('everything'), modern.body, {
        authorization: `Bearer ${gateway.apiKey}`,
        ...modern.headers,
      });
      assert.equal(answer.status, 200, answer.text);
      const response = answer.messages.find(
        (message) => (message as { id?: unknown }).id === 'tools',
      );
      const result = (response as { result: { tools: unknown[]; resultType?: string } }).result;
      assert.deepEqual(result.tools, direct.tools);
      assert.equal(result.resultType, 'complete');
    });
  });
});
