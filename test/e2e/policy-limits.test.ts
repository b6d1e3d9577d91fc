/**
 * Usage limits through the real MCP endpoint with the SDK client, in both
 * protocol eras: N calls pass, the next is refused with a JSON-RPC error
 * that says when to retry, nothing reaches the upstream, the refusal is on
 * the request record, and rules changed through the API apply.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { connectClient, resultText } from '../support/sdk-client.ts';

type Mode = 'legacy' | { pin: string };
const MODES = [
  ['2025-11-25 (legacy sessions)', 'legacy'],
  ['2026-07-28 (stateless)', { pin: '2026-07-28' }],
] as const satisfies readonly (readonly [string, Mode])[];

async function rejection(
  promise: Promise<unknown>,
): Promise<{ code: number; message: string; data: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: number; message: string; data: Record<string, unknown> };
  }
  assert.fail('expected the call to be refused');
}

describe('usage limits through the gateway', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [
        { id: 'fixture', url: upstream.url },
        { id: 'modern', url: upstream.url },
      ],
      limits: [
        {
          name: 'three-texts',
          server: 'fixture',
          tool: 'test_simple_text',
          period: 'minute',
          limit: 3,
        },
        {
          name: 'two-images',
          server: 'modern',
          tool: 'test_image_content',
          period: 'hour',
          limit: 2,
        },
      ],
    });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  for (const [index, [label, mode]] of MODES.entries()) {
    const server = index === 0 ? 'fixture' : 'modern';
    const tool = index === 0 ? 'test_simple_text' : 'test_image_content';
    const limit = index === 0 ? 3 : 2;
    it(`${label}: allows ${limit} calls, then refuses with retryAfterSeconds; other tools still pass`, async () => {
      const client = await connectClient(gateway, server, { mode });
      try {
        for (let i = 0; i < limit; i++) await client.callTool({ name: tool, arguments: {} });
        const refused = await rejection(client.callTool({ name: tool, arguments: {} }));
        assert.equal(refused.code, -32005);
        assert.match(refused.message, /Usage limit ".*" reached/);
        const retryAfter = refused.data.retryAfterSeconds as number;
        const window = index === 0 ? 60 : 3600;
        assert.ok(retryAfter >= 1 && retryAfter <= window, String(retryAfter));
        assert.equal(refused.data.reason, 'rate_limited');
        const other = await client.callTool({ name: 'test_embedded_resource', arguments: {} });
        assert.ok(resultText(other).length > 0);
        await client.listTools();
      } finally {
        await client.close();
      }
    });
  }

  it('holds exactly under concurrency: of 20 parallel calls, exactly the limit pass', async () => {
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${gateway.url}/api/v1/workspaces/acme${path}`, {
        method,
        headers: {
          authorization: `Bearer ${gateway.apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const put = await admin('PUT', '/usage-limits/burst', {
      server: 'fixture',
      tool: 'test_audio_content',
      group_by: ['member'],
      period: 'day',
      limit: 7,
    });
    assert.equal(put.status, 200, await put.text());
    // Rules are re-read within a second on every instance.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const client = await connectClient(gateway, 'fixture', { mode: { pin: '2026-07-28' } });
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, () =>
          client.callTool({ name: 'test_audio_content', arguments: {} }),
        ),
      );
      assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 7);
    } finally {
      await client.close();
    }
    const removed = await admin('DELETE', '/usage-limits/burst');
    assert.equal(removed.status, 204);
  });

  it('a tool the policy renames keeps counting under its upstream name', async () => {
    const policy = await fetch(`${gateway.url}/api/v1/workspaces/acme/servers/modern/policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${gateway.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tools: { test_image_content: { name: 'draw_picture' } } }),
    });
    assert.equal(policy.status, 200, await policy.text());
    const client = await connectClient(gateway, 'modern', { mode: 'legacy' });
    try {
      // The 2026-07-28 test above used both of "two-images" calls this hour, by the upstream name.
      const refused = await rejection(client.callTool({ name: 'draw_picture', arguments: {} }));
      assert.equal(refused.code, -32005);
      assert.match(refused.message, /two-images/);
    } finally {
      await client.close();
    }
  });

  it('notes each refusal on its request record', async () => {
    const records = await gateway.closeAndReadRecords();
    const refused = records.filter((record) => record.errorMessage === 'rate_limited');
    assert.ok(refused.length >= 2 + 13, `refusals recorded: ${refused.length}`);
    for (const record of refused) {
      assert.equal(record.errorCode, -32005);
      assert.equal(record.method, 'tools/call');
    }
  });
});
