/**
 * Security parameters through the real MCP endpoint with the SDK client, in
 * both protocol eras: read-only mode, argument constraints (narrowed schema
 * listed, same schema enforced), request and response size limits, per-tool
 * timeout, and confirmation of destructive tools through elicitation
 * (pushed to 2025-era clients, MRTR input_required for 2026-07-28 clients,
 * refused for clients without elicitation).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { mcpPost } from '../support/mcp-http.ts';
import { connectClient, resultText } from '../support/sdk-client.ts';

type Mode = 'legacy' | { pin: string };
const MODES = [
  ['2025-11-25', 'legacy'],
  ['2026-07-28', { pin: '2026-07-28' }],
] as const satisfies readonly (readonly [string, Mode])[];

interface RpcError {
  code: number;
  message: string;
  data?: Record<string, unknown>;
}

async function rejection(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (error) {
    return error as RpcError;
  }
  assert.fail('expected the call to be refused');
}

const REGION_CONSTRAINT = { properties: { region: { enum: ['eu-west', 'eu-central'] } } };

const POLICIES: Record<string, unknown> = {
  readonly: {
    tools: { test_simple_text: { annotations: { readOnlyHint: true } } },
    security: { read_only: true },
  },
  args: {
    security: {
      tools: { test_custom_headers: { argument_constraints: { owner: REGION_CONSTRAINT } } },
    },
  },
  sizes: {
    security: {
      max_request_bytes: 2048,
      tools: { test_image_content: { max_response_bytes: 200 } },
    },
  },
  slow: { security: { tools: { test_sleep: { timeout_ms: 1000 } } } },
  confirm: {
    tools: { test_image_content: { annotations: { readOnlyHint: true } } },
    security: { confirm_destructive: true },
  },
  pinned: { pin_tools: true },
};

describe('security parameters through the gateway', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: Object.keys(POLICIES).map((id) => ({ id, url: upstream.url })),
    });
    for (const [server, policy] of Object.entries(POLICIES)) {
      const response = await fetch(
        `${gateway.url}/api/v1/workspaces/acme/servers/${server}/policy`,
        {
          method: 'PUT',
          headers: {
            authorization: `Bearer ${gateway.apiKey}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify(policy),
        },
      );
      assert.equal(response.status, 200, await response.text());
    }
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  for (const [label, mode] of MODES) {
    describe(label, () => {
      it('read-only: lists only read-only tools and refuses the others as unknown', async () => {
        const client = await connectClient(gateway, 'readonly', { mode });
        try {
          const { tools } = await client.listTools();
          assert.deepEqual(
            tools.map((tool) => tool.name),
            ['test_simple_text'],
          );
          const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
          assert.ok(resultText(result).length > 0);
          const refused = await rejection(
            client.callTool({ name: 'test_image_content', arguments: {} }),
          );
          assert.equal(refused.code, -32602);
          assert.match(refused.message, /Tool test_image_content not found/);
        } finally {
          await client.close();
        }
      });

      it('argument constraints: the narrowed schema is listed and enforced on call', async () => {
        const client = await connectClient(gateway, 'args', { mode });
        try {
          const { tools } = await client.listTools();
          const tool = tools.find((candidate) => candidate.name === 'test_custom_headers')!;
          assert.deepEqual((tool.inputSchema as { allOf?: unknown[] }).allOf, [REGION_CONSTRAINT]);
          assert.equal(
            (tool.inputSchema as { properties: Record<string, unknown> }).properties.region !==
              undefined,
            true,
          );
          const ok = await client.callTool({
            name: 'test_custom_headers',
            arguments: { region: 'eu-west' },
          });
          assert.equal(resultText(ok), 'region=eu-west');
          const refused = await rejection(
            client.callTool({ name: 'test_custom_headers', arguments: { region: 'us-east' } }),
          );
          assert.equal(refused.code, -32602);
          assert.match(
            refused.message,
            /arguments\.region must be equal to one of the allowed values/,
          );
        } finally {
          await client.close();
        }
      });

      it('refuses an oversized request and replaces an oversized answer', async () => {
        const client = await connectClient(gateway, 'sizes', { mode });
        try {
          const big = await rejection(
            client.callTool({
              name: 'test_custom_headers',
              arguments: { region: 'eu', note: 'x'.repeat(4000) },
            }),
          );
          assert.equal(big.code, -32600);
          assert.match(big.message, /accepts at most 2048/);
          const small = await client.callTool({
            name: 'test_custom_headers',
            arguments: { region: 'eu' },
          });
          assert.equal(resultText(small), 'region=eu');
          const answer = await rejection(
            client.callTool({ name: 'test_image_content', arguments: {} }),
          );
          assert.equal(answer.code, -32001);
          assert.match(answer.message, /may return at most 200/);
        } finally {
          await client.close();
        }
      });

      // The upstream layer's timers have a resolution of about a second: the margins are wide.
      it('times a slow tool out after its own timeout; other tools keep the server timeout', async () => {
        const client = await connectClient(gateway, 'slow', { mode });
        try {
          const quick = await client.callTool({ name: 'test_sleep', arguments: { ms: 100 } });
          assert.equal(resultText(quick), 'slept 100 ms');
          const started = performance.now();
          const slow = await rejection(
            client.callTool({ name: 'test_sleep', arguments: { ms: 4_000 } }),
          );
          assert.equal(slow.code, -32002, JSON.stringify(slow));
          const waited = performance.now() - started;
          assert.ok(waited >= 900 && waited < 3_500, String(waited));
          const fine = await client.callTool({ name: 'test_simple_text', arguments: {} });
          assert.ok(resultText(fine).length > 0);
        } finally {
          await client.close();
        }
      });

      it('confirmation: a destructive tool runs after the member accepts', async () => {
        const asked: unknown[] = [];
        const client = await connectClient(gateway, 'confirm', {
          mode,
          elicit: async (request?: unknown) => {
            asked.push(request);
            return { action: 'accept', content: { confirm: true } };
          },
        });
        try {
          await client.listTools();
          const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
          assert.ok(resultText(result).length > 0);
          assert.equal(asked.length, 1);
          assert.match(JSON.stringify(asked[0]), /destructive tool \\"test_simple_text\\"/);
          // A read-only tool is not asked about.
          await client.callTool({ name: 'test_image_content', arguments: {} });
          assert.equal(asked.length, 1);
        } finally {
          await client.close();
        }
      });

      it('confirmation: declining refuses the call', async () => {
        const client = await connectClient(gateway, 'confirm', {
          mode,
          elicit: async () => ({ action: 'decline' }),
        });
        try {
          const refused = await rejection(
            client.callTool({ name: 'test_simple_text', arguments: {} }),
          );
          assert.equal(refused.data?.reason, 'confirmation_declined', JSON.stringify(refused));
          assert.match(refused.message, /was not confirmed/);
        } finally {
          await client.close();
        }
      });

      it('confirmation: a client without elicitation is refused, saying why', async () => {
        const client = await connectClient(gateway, 'confirm', { mode });
        try {
          const refused = await rejection(
            client.callTool({ name: 'test_simple_text', arguments: {} }),
          );
          assert.equal(refused.code, -32021);
          assert.match(refused.message, /needs the member's confirmation through elicitation/);
        } finally {
          await client.close();
        }
      });
    });
  }

  it('constraints added to a pinned tool narrow its schema without quarantining it', async () => {
    const api = (method: string, route: string, body?: unknown) =>
      fetch(`${gateway.url}/api/v1/workspaces/acme/servers/pinned${route}`, {
        method,
        headers: {
          authorization: `Bearer ${gateway.apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const client = await connectClient(gateway, 'pinned', { mode: 'legacy' });
    try {
      // Trust on first use pins the upstream's definition.
      assert.ok((await client.listTools()).tools.some((t) => t.name === 'test_custom_headers'));
      const constrained = await api('PUT', '/policy', {
        pin_tools: true,
        security: {
          tools: { test_custom_headers: { argument_constraints: { owner: REGION_CONSTRAINT } } },
        },
      });
      assert.equal(constrained.status, 200, await constrained.text());
      const tool = (await client.listTools()).tools.find((t) => t.name === 'test_custom_headers');
      assert.ok(tool, 'the constrained tool is still listed');
      assert.deepEqual((tool.inputSchema as { allOf?: unknown[] }).allOf, [REGION_CONSTRAINT]);
      const ok = await client.callTool({
        name: 'test_custom_headers',
        arguments: { region: 'eu-central' },
      });
      assert.equal(resultText(ok), 'region=eu-central');
      const states = (await (await api('GET', '/tools')).json()) as {
        tool: string;
        state: string;
      }[];
      const state = states.find((entry) => entry.tool === 'test_custom_headers');
      assert.notEqual(state?.state, 'quarantined');
    } finally {
      await client.close();
    }
  });
});

describe('security across the era bridges', () => {
  const upstreams: RunningFixtureServer[] = [];
  let gateway: TestGateway;

  before(async () => {
    upstreams.push(await startFixtureServer({ era: 'legacy' }));
    upstreams.push(await startFixtureServer({ era: 'modern' }));
    gateway = await startTestGateway({
      servers: [
        { id: 'old', url: upstreams[0]!.url },
        { id: 'new', url: upstreams[1]!.url },
        { id: 'old-slow', url: upstreams[0]!.url },
      ],
    });
    for (const server of ['old', 'new', 'old-slow']) {
      const response = await fetch(
        `${gateway.url}/api/v1/workspaces/acme/servers/${server}/policy`,
        {
          method: 'PUT',
          headers: {
            authorization: `Bearer ${gateway.apiKey}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            security:
              server === 'old-slow'
                ? { tools: { test_elicitation: { timeout_ms: 1000 } } }
                : { confirm_destructive: true },
          }),
        },
      );
      assert.equal(response.status, 200, await response.text());
    }
  });
  after(async () => {
    await gateway?.close();
    for (const upstream of upstreams) await upstream.close();
  });

  for (const [label, mode, server] of [
    ['2026-07-28 client, 2025-era upstream', { pin: '2026-07-28' }, 'old'],
    ['2025-11-25 client, 2026-07-28 upstream', 'legacy', 'new'],
  ] as const) {
    it(`${label}: asks, then runs the tool on accept and refuses on decline`, async () => {
      let answer: object = { action: 'accept' };
      let asked = 0;
      const client = await connectClient(gateway, server, {
        mode,
        elicit: async () => {
          asked++;
          return answer;
        },
      });
      try {
        const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
        assert.ok(resultText(result).length > 0);
        assert.equal(asked, 1);
        answer = { action: 'decline' };
        const refused = await rejection(
          client.callTool({ name: 'test_simple_text', arguments: {} }),
        );
        assert.equal(refused.data?.reason, 'confirmation_declined', JSON.stringify(refused));
      } finally {
        await client.close();
      }
    });
  }

  it('2026-07-28 client, 2025-era upstream: a tool that stays silent past its timeout fails', async () => {
    const client = await connectClient(gateway, 'old-slow', {
      mode: { pin: '2026-07-28' },
      elicit: async () => {
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        return { action: 'decline' };
      },
    });
    try {
      const slow = await rejection(
        client.callTool({ name: 'test_elicitation', arguments: { message: 'wait' } }),
      );
      assert.equal(slow.code, -32002, JSON.stringify(slow));
    } finally {
      await client.close();
    }
  });
});

describe('confirmation replay', () => {
  let upstream: RunningFixtureServer;
  let proxy: http.Server;
  let gateway: TestGateway;
  /** tools/call requests that reached the upstream, by tool name. */
  const upstreamCalls = new Map<string, number>();

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    // Counts what reaches the upstream: a replayed confirmation must not run the tool again.
    proxy = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        try {
          const message = JSON.parse(body.toString('utf8')) as {
            method?: string;
            params?: { name?: string };
          };
          if (message.method === 'tools/call' && typeof message.params?.name === 'string')
            upstreamCalls.set(
              message.params.name,
              (upstreamCalls.get(message.params.name) ?? 0) + 1,
            );
        } catch {
          /* not JSON: forwarded as it is */
        }
        const target = new URL(upstream.url);
        const forwarded = http.request(
          {
            host: target.hostname,
            port: target.port,
            path: req.url,
            method: req.method,
            headers: { ...req.headers, host: target.host },
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        forwarded.on('error', () => res.destroy());
        forwarded.end(body);
      });
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    const { port } = proxy.address() as AddressInfo;
    gateway = await startTestGateway({
      servers: [{ id: 'confirm', url: `http://127.0.0.1:${port}/mcp` }],
    });
    const response = await fetch(`${gateway.url}/api/v1/workspaces/acme/servers/confirm/policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${gateway.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ security: { confirm_destructive: true } }),
    });
    assert.equal(response.status, 200, await response.text());
  });
  after(async () => {
    await gateway?.close();
    proxy?.close();
    await upstream?.close();
  });

  it('2026-07-28: an accepted requestState sent again is refused and the tool does not run again', async () => {
    const call = (id: number, extra: Record<string, unknown> = {}) =>
      mcpPost(
        gateway.endpoint('confirm'),
        {
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: {
            name: 'test_simple_text',
            arguments: {},
            ...extra,
            _meta: {
              'io.modelcontextprotocol/protocolVersion': '2026-07-28',
              'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
              'io.modelcontextprotocol/clientInfo': { name: 'replay-test', version: '1.0.0' },
            },
          },
        },
        {
          authorization: `Bearer ${gateway.apiKey}`,
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': 'test_simple_text',
        },
      );
    type Answer = { result?: Record<string, unknown>; error?: RpcError };

    const first = (await call(1)).json as Answer;
    assert.equal(first.result?.resultType, 'input_required', JSON.stringify(first));
    const retry = {
      requestState: first.result?.requestState,
      inputResponses: { 'portcullis.confirm': { action: 'accept', content: { confirm: true } } },
    };
    const accepted = (await call(2, retry)).json as Answer;
    assert.ok(accepted.result?.content, JSON.stringify(accepted));
    assert.equal(upstreamCalls.get('test_simple_text'), 1);

    const replayed = (await call(3, retry)).json as Answer;
    assert.equal(replayed.error?.code, -32602, JSON.stringify(replayed));
    assert.match(replayed.error.message, /does not match this call/);
    assert.equal(upstreamCalls.get('test_simple_text'), 1, 'the replay reached the upstream');
  });
});
