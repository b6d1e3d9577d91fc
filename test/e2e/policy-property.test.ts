/**
 * The policy property through the real endpoint: for seeded random policies,
 * the tools, prompts and resources the SDK client is shown are exactly those
 * it can use (issue 6, "Done when"). The many-seed run against the
 * interceptor itself is src/policy/policy-property.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { Client } from '@modelcontextprotocol/client';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { connectClient } from '../support/sdk-client.ts';
import { randomPolicy, seededRandom } from '../support/random-policy.ts';

/** Tools, prompts and resources the fixture answers at once without asking the client anything. */
const UNIVERSE = {
  tools: ['test_simple_text', 'test_image_content', 'test_audio_content', 'test_embedded_resource'],
  prompts: ['test_simple_prompt', 'test_prompt_with_image'],
  resources: ['test://static-text', 'test://static-binary'],
  templates: ['test://template/{id}/data'],
  users: ['admin@acme.test'],
};
const SEEDS = 12;

/** Whether the gateway refused the call as it refuses an unknown name. */
async function refusedAsUnknown(call: Promise<unknown>): Promise<boolean> {
  return call.then(
    () => false,
    (error: Error) => /not found/.test(error.message),
  );
}

describe('policy property through the MCP endpoint', () => {
  let upstream: RunningFixtureServer;
  let gateway: TestGateway;

  before(async () => {
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({ servers: [{ id: 'fixture', url: upstream.url }] });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  async function check(client: Client, seed: number): Promise<void> {
    const random = seededRandom(seed);
    const policy = randomPolicy(random, UNIVERSE, { pinning: false });
    const response = await request(`${gateway.url}/api/v1/workspaces/acme/servers/fixture/policy`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${gateway.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(policy),
    });
    assert.equal(response.statusCode, 200, await response.body.text());
    const where = `seed ${seed}: ${JSON.stringify(policy)}`;

    const candidates = [...UNIVERSE.tools, ...UNIVERSE.tools.map((t) => `${t}_v2`)];
    const shown = (await client.listTools()).tools
      .map((t) => t.name)
      .filter((name) => candidates.includes(name));
    const callable: string[] = [];
    for (const name of candidates)
      if (!(await refusedAsUnknown(client.callTool({ name, arguments: {} })))) callable.push(name);
    assert.deepEqual(shown.sort(), callable.sort(), `tools, ${where}`);

    const prompts = (await client.listPrompts()).prompts
      .map((p) => p.name)
      .filter((name) => UNIVERSE.prompts.includes(name));
    const gettable: string[] = [];
    for (const name of UNIVERSE.prompts)
      if (!(await refusedAsUnknown(client.getPrompt({ name })))) gettable.push(name);
    assert.deepEqual(prompts.sort(), gettable.sort(), `prompts, ${where}`);

    const resources = (await client.listResources()).resources.map((r) => r.uri);
    const readable: string[] = [];
    for (const uri of UNIVERSE.resources)
      if (!(await refusedAsUnknown(client.readResource({ uri })))) readable.push(uri);
    assert.deepEqual(
      resources.filter((uri) => UNIVERSE.resources.includes(uri)).sort(),
      readable.sort(),
      `resources, ${where}`,
    );
  }

  for (const [era, mode] of [
    ['2025-11-25', 'legacy'],
    ['2026-07-28', { pin: '2026-07-28' }],
  ] as const) {
    it(`${era}: for ${SEEDS} random policies, listed ≡ usable`, async () => {
      const client = await connectClient(gateway, 'fixture', { mode });
      try {
        for (let seed = 1; seed <= SEEDS; seed++) await check(client, seed);
      } finally {
        await client.close();
      }
    });
  }
});
