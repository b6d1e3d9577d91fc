/**
 * One shared stdio process under load: 100 concurrent SDK clients get their own
 * answers, progress and errors back through the gateway's id and token
 * rewriting; 1,000 downstream sessions reuse the one process and none of the
 * processes outlives the gateway; an idle process stops after the configured
 * TTL (the supervisor's own timing is covered in src/upstream/stdio.test.ts).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { childPids, isAlive } from '../support/child-processes.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { resultText as text } from '../support/sdk-client.ts';
import { initializeBody, mcpPost } from '../support/mcp-http.ts';

const fixture = fileURLToPath(new URL('../fixtures/fixture-server/main.ts', import.meta.url));
const fixtureServer = {
  id: 'fixture',
  transport: 'stdio' as const,
  command: process.execPath,
  args: [fixture, '--stdio', '--era', 'legacy'],
};

async function connect(gateway: TestGateway): Promise<Client> {
  const client = new Client(
    { name: 'scale', version: '1.0.0' },
    { versionNegotiation: { mode: 'legacy' } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(gateway.endpoint('fixture')), {
    requestInit: { headers: { authorization: `Bearer ${gateway.apiKey}` } },
  });
  await client.connect(transport);
  return client;
}

/** The text of a failed call, whether the server answered an error or an isError result. */
async function failureText(call: Promise<unknown>): Promise<string> {
  try {
    const result = (await call) as { isError?: boolean };
    assert.equal(result.isError, true, 'an unknown tool is an error');
    return text(result);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Runs `work` for 0..count-1 with at most `width` at a time. */
async function inBatches(
  count: number,
  width: number,
  work: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

describe('one shared stdio process under load', () => {
  let gateway: TestGateway;
  let closed = false;
  const seenPids = new Set<number>();
  const note = (): number[] => {
    const pids = childPids(fixture);
    for (const pid of pids) seenPids.add(pid);
    return pids;
  };

  before(async () => {
    gateway = await startTestGateway({ servers: [fixtureServer] });
  });
  after(async () => {
    if (!closed) await gateway?.close();
  });

  it('routes the answers, progress and errors of 100 concurrent clients to each caller', async () => {
    const clients = await Promise.all(Array.from({ length: 100 }, () => connect(gateway)));
    try {
      // Every client numbers its requests alike, so ids and progress tokens collide upstream
      // unless the gateway rewrites them.
      const outcomes = await Promise.all(
        clients.map(async (client, i) => {
          const progress: number[] = [];
          const [answer, progressed, failure] = await Promise.all([
            client.callTool({
              name: 'json_schema_2020_12_tool',
              arguments: { name: `client-${i}`, email: `c${i}@example.test` },
            }),
            client.callTool(
              { name: 'test_tool_with_progress', arguments: {} },
              { onprogress: (event) => progress.push(event.progress) },
            ),
            failureText(client.callTool({ name: `no_such_tool_${i}`, arguments: {} })),
          ]);
          return { answer: text(answer), progressed, progress, failure };
        }),
      );
      outcomes.forEach((outcome, i) => {
        assert.match(outcome.answer, new RegExp(`"client-${i}".*"c${i}@example\\.test"`));
        assert.ok(!('isError' in outcome.progressed && outcome.progressed.isError));
        assert.deepEqual(outcome.progress, [0, 50, 100], `progress of client ${i}`);
        assert.match(outcome.failure, new RegExp(`no_such_tool_${i}\\b`));
      });
      assert.equal(note().length, 1, 'exactly one child process');
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });

  it('serves 1,000 downstream sessions from one process and leaves no child after shutdown', async () => {
    const auth = { authorization: `Bearer ${gateway.apiKey}` };
    const url = gateway.endpoint('fixture');
    await inBatches(1_000, 20, async (i) => {
      const opened = await mcpPost(url, initializeBody(1), auth);
      assert.equal(opened.status, 200);
      const sessionId = opened.headers['mcp-session-id'];
      assert.equal(typeof sessionId, 'string');
      const headers = {
        ...auth,
        'mcp-session-id': sessionId as string,
        'mcp-protocol-version': '2025-11-25',
      };
      const initialized = await mcpPost(
        url,
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        headers,
      );
      assert.equal(initialized.status, 202);
      const called = await mcpPost(
        url,
        {
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: {
            name: 'json_schema_2020_12_tool',
            arguments: { name: `session-${i}`, email: `s${i}@example.test` },
          },
        },
        headers,
      );
      assert.equal(called.status, 200);
      assert.match(JSON.stringify(called.json), new RegExp(`session-${i}\\\\"`));
      if (i % 50 === 0) assert.equal(note().length, 1, `one child process at session ${i}`);
    });
    assert.ok(seenPids.size >= 1);
    closed = true;
    await gateway.close();
    for (const pid of seenPids)
      assert.equal(isAlive(pid), false, `process ${pid} outlived the gateway`);
    assert.deepEqual(childPids(fixture), []);
  });
});

describe('an idle stdio process', () => {
  it('stops after PORTCULLIS_STDIO_IDLE_TTL_S, and the next session starts a new one', async () => {
    const gateway = await startTestGateway({
      servers: [fixtureServer],
      env: { PORTCULLIS_STDIO_IDLE_TTL_S: '1' },
    });
    try {
      const client = await connect(gateway);
      await client.callTool({ name: 'test_simple_text', arguments: {} });
      await client.close();
      const [pid] = childPids(fixture);
      assert.ok(pid !== undefined);
      const deadline = Date.now() + 5_000;
      while (isAlive(pid) && Date.now() < deadline) await sleep(100);
      assert.equal(isAlive(pid), false, 'the idle process stopped');
      const next = await connect(gateway);
      assert.match(text(await next.callTool({ name: 'test_simple_text', arguments: {} })), /\w/);
      await next.close();
      assert.notEqual(childPids(fixture)[0], pid);
    } finally {
      await gateway.close();
    }
  });
});
