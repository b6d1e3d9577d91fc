/**
 * The MCP Inspector CLI (`mcp-inspector --cli`, v2) as a real client through
 * the gateway, in both protocol eras, against the dual-era fixture upstream.
 * Its JSON output is parsed; the request records show which era each call
 * really used. Without a usable key it fails with its auth exit code.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import { EXIT, inspect } from '../support/inspector-cli.ts';
import type { CliRun } from '../support/inspector-cli.ts';
import type { TestGateway } from '../support/gateway.ts';
import { resultText } from '../support/sdk-client.ts';

type Era = 'legacy' | 'modern';

type Content = { type: string; text?: string };
interface Tool {
  name: string;
  inputSchema: { properties?: Record<string, { type?: string }> };
}
/** Method results as `--format json` prints them (`{ "result": … }`); the fields used here. */
interface ToolsListResult {
  tools: Tool[];
}
interface CallToolResult {
  content: Content[];
  isError?: boolean;
}
interface ReadResourceResult {
  contents: Array<{ uri: string; text?: string }>;
}
interface GetPromptResult {
  messages: Array<{ role: string; content: Content }>;
}

/** A gateway in front of the dual-era fixture; returns the records of what `body` did. */
async function withGateway(
  body: (gateway: TestGateway) => Promise<void>,
): Promise<RequestRecord[]> {
  const upstream = await startFixtureServer({ era: 'dual' });
  const gateway = await startTestGateway({ servers: [{ id: 'fixture', url: upstream.url }] });
  try {
    await body(gateway);
    return await gateway.closeAndReadRecords();
  } finally {
    await gateway.close();
    await upstream.close();
  }
}

function assertSucceeded<Result>(run: CliRun): Result {
  assert.equal(run.code, EXIT.ok, `exit ${run.code}: ${run.stderr}`);
  assert.ok(run.output?.result, `a result on stdout: ${run.stdout}`);
  return run.output.result as Result;
}

/**
 * The call went through the gateway in the era the CLI was asked to speak.
 * (In the 2026-07-28 era the CLI lists tools itself after connecting, so a
 * tools/list may appear twice.)
 */
function assertRecorded(records: RequestRecord[], era: Era, method: string, target?: string) {
  const calls = records.filter(
    (record) => record.method === method && (target === undefined || record.target === target),
  );
  assert.ok(calls.length >= 1, `a ${method} record: ${JSON.stringify(records)}`);
  for (const call of calls) {
    assert.equal(call.era, era);
    assert.equal(call.status, 'ok');
  }
}

const text = (content: unknown) => resultText({ content });

describe('MCP Inspector CLI through the gateway', { concurrency: true }, () => {
  for (const era of ['legacy', 'modern'] as const) {
    describe(`--protocol-era ${era}`, { concurrency: true }, () => {
      const run = (gateway: TestGateway, args: string[]) =>
        inspect(
          gateway.endpoint('fixture'),
          ['--protocol-era', era, ...args],
          `Bearer ${gateway.apiKey}`,
        );

      it('tools/list lists the fixture tools with their schemas', async () => {
        const records = await withGateway(async (gateway) => {
          const result = assertSucceeded<ToolsListResult>(
            await run(gateway, ['--method', 'tools/list']),
          );
          const names = result.tools.map((tool) => tool.name);
          for (const name of ['test_simple_text', 'test_tool_with_progress', 'test_custom_headers'])
            assert.ok(names.includes(name), name);
          const custom = result.tools.find((tool) => tool.name === 'test_custom_headers');
          assert.equal(custom?.inputSchema.properties?.region?.type, 'string');
        });
        assertRecorded(records, era, 'tools/list');
      });

      it('tools/call passes --tool-arg arguments and returns the content', async () => {
        const records = await withGateway(async (gateway) => {
          const result = assertSucceeded<CallToolResult>(
            await run(gateway, [
              '--method',
              'tools/call',
              '--tool-name',
              'test_custom_headers',
              '--tool-arg',
              'region=eu-west-1',
              'note=hello',
            ]),
          );
          assert.equal(text(result.content), 'region=eu-west-1');
        });
        assertRecorded(records, era, 'tools/call', 'test_custom_headers');
      });

      it('resources/read returns the resource contents', async () => {
        const records = await withGateway(async (gateway) => {
          const result = assertSucceeded<ReadResourceResult>(
            await run(gateway, ['--method', 'resources/read', '--uri', 'test://static-text']),
          );
          assert.equal(result.contents[0]?.uri, 'test://static-text');
          assert.match(String(result.contents[0]?.text), /static text resource/);
        });
        assertRecorded(records, era, 'resources/read', 'test://static-text');
      });

      it('prompts/get passes --prompt-args and returns the messages', async () => {
        const records = await withGateway(async (gateway) => {
          const result = assertSucceeded<GetPromptResult>(
            await run(gateway, [
              '--method',
              'prompts/get',
              '--prompt-name',
              'test_prompt_with_arguments',
              '--prompt-args',
              'arg1=alpha',
              'arg2=beta',
            ]),
          );
          assert.equal(
            text(result.messages.map((message) => message.content)),
            "Prompt with arguments: arg1='alpha', arg2='beta'",
          );
        });
        assertRecorded(records, era, 'prompts/get', 'test_prompt_with_arguments');
      });

      it('a tool that fails exits with the tool-error code and prints the isError result', async () => {
        await withGateway(async (gateway) => {
          const failed = await run(gateway, [
            '--method',
            'tools/call',
            '--tool-name',
            'test_error_handling',
          ]);
          assert.equal(failed.code, EXIT.toolError, failed.stderr);
          assert.equal((failed.output?.result as CallToolResult).isError, true, failed.stdout);
        });
      });
    });
  }

  it('--protocol-era auto negotiates 2026-07-28 through the gateway', async () => {
    const records = await withGateway(async (gateway) => {
      const result = assertSucceeded<ToolsListResult>(
        await inspect(
          gateway.endpoint('fixture'),
          ['--protocol-era', 'auto', '--method', 'tools/list'],
          `Bearer ${gateway.apiKey}`,
        ),
      );
      assert.ok(result.tools.length > 0);
    });
    assertRecorded(records, 'modern', 'tools/list');
    assert.ok(
      records.some((record) => record.method === 'server/discover' && record.era === 'modern'),
    );
  });

  for (const [label, authorization] of [
    ['a missing API key', undefined],
    ['an invalid API key', 'Bearer pcl_not-a-real-key'],
  ] as const) {
    it(`${label} fails fast with the auth_required exit code`, async () => {
      const records = await withGateway(async (gateway) => {
        const failed = await inspect(
          gateway.endpoint('fixture'),
          ['--protocol-era', 'legacy', '--method', 'tools/list'],
          authorization,
        );
        assert.equal(failed.code, EXIT.authRequired, `${failed.stdout}\n${failed.stderr}`);
        assert.equal(failed.error?.code, 'auth_required', failed.stderr);
        assert.equal(failed.output, undefined, 'no result on stdout');
      });
      assert.ok(records.length > 0);
      assert.ok(records.every((record) => record.httpStatus === 401 && record.status === 'error'));
    });
  }
});
