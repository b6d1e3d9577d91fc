/**
 * The SDK v2 client through the gateway, in both protocol eras, against the
 * dual-era fixture upstream: discovery, content, progress, and server→client
 * requests (push in the 2025 era, input_required in 2026-07-28).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { acceptAda, connectClient, resultText as text } from '../support/sdk-client.ts';

type Mode = 'legacy' | { pin: string };

const connect = (gateway: TestGateway, mode: Mode) =>
  connectClient(gateway, 'fixture', { mode, elicit: acceptAda, sample: 'sampled' });

describe('SDK v2 client through the gateway', () => {
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

  for (const [label, mode] of [
    ['2025-11-25 (legacy sessions)', 'legacy'],
    ['2026-07-28 (stateless)', { pin: '2026-07-28' }],
  ] as const) {
    describe(label, () => {
      it('lists tools, resources and prompts with their fields intact', async () => {
        const client = await connect(gateway, mode);
        try {
          const { tools } = await client.listTools();
          const names = tools.map((tool) => tool.name);
          for (const expected of [
            'test_simple_text',
            'test_tool_with_progress',
            'test_elicitation',
            'test_sampling',
          ])
            assert.ok(names.includes(expected), expected);
          const { resources } = await client.listResources();
          assert.ok(resources.some((resource) => resource.uri === 'test://static-text'));
          const { prompts } = await client.listPrompts();
          assert.ok(prompts.some((prompt) => prompt.name === 'test_simple_prompt'));
        } finally {
          await client.close();
        }
      });

      it('calls a tool, reads a resource and gets a prompt', async () => {
        const client = await connect(gateway, mode);
        try {
          assert.match(
            text(await client.callTool({ name: 'test_simple_text', arguments: {} })),
            /simple text response/,
          );
          const read = await client.readResource({ uri: 'test://static-text' });
          assert.ok(read.contents.length > 0);
          const prompt = await client.getPrompt({ name: 'test_simple_prompt' });
          assert.ok(prompt.messages.length > 0);
        } finally {
          await client.close();
        }
      });

      it('delivers progress notifications for the call that asked for them', async () => {
        const client = await connect(gateway, mode);
        try {
          const seen: number[] = [];
          await client.callTool(
            { name: 'test_tool_with_progress', arguments: {} },
            { onprogress: (progress) => seen.push(progress.progress) },
          );
          assert.ok(seen.length >= 1, 'got progress');
          assert.deepEqual(
            [...seen].sort((a, b) => a - b),
            seen,
            'progress increases',
          );
        } finally {
          await client.close();
        }
      });

      it('routes elicitation and sampling to this client and their answers back upstream', async () => {
        const client = await connect(gateway, mode);
        try {
          assert.match(
            text(
              await client.callTool({ name: 'test_elicitation', arguments: { message: 'who?' } }),
            ),
            /ada/,
          );
          assert.match(
            text(await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } })),
            /sampled/,
          );
        } finally {
          await client.close();
        }
      });
    });
  }
});
