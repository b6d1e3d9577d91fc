/**
 * `transport: stdio` servers behind a real gateway, reached by the SDK v2
 * client over Streamable HTTP in the 2025 era: the fixture server and the
 * published server-everything, each run by the gateway as one shared child
 * process.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';

const fixture = fileURLToPath(new URL('../fixtures/fixture-server/main.ts', import.meta.url));
const everything = fileURLToPath(
  import.meta.resolve('@modelcontextprotocol/server-everything/dist/index.js'),
);

async function connect(
  gateway: TestGateway,
  server: string,
  onElicit: () => Promise<object> = async () => ({
    action: 'accept',
    content: { username: 'ada', email: 'ada@example.test' },
  }),
): Promise<Client> {
  const client = new Client(
    { name: 'e2e', version: '1.0.0' },
    { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: 'legacy' } },
  );
  client.setRequestHandler('elicitation/create', onElicit as never);
  const transport = new StreamableHTTPClientTransport(new URL(gateway.endpoint(server)), {
    requestInit: { headers: { authorization: `Bearer ${gateway.apiKey}` } },
  });
  await client.connect(transport);
  return client;
}

function text(result: unknown): string {
  const content = (result as { content: Array<{ type: string; text?: string }> }).content;
  return content.map((block) => block.text ?? `[${block.type}]`).join('');
}

/** PIDs of this process's children running `marker` (the gateway runs in this process), from /proc. */
function childPids(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may contain spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (args.includes(marker)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('stdio servers through the gateway', () => {
  let gateway: TestGateway;
  let closed = false;
  const seenPids = new Set<number>();
  const note = (): number[] => {
    const pids = [...childPids(fixture), ...childPids(everything)];
    for (const pid of pids) seenPids.add(pid);
    return pids;
  };

  before(async () => {
    gateway = await startTestGateway({
      servers: [
        {
          id: 'fixture',
          transport: 'stdio',
          command: process.execPath,
          args: [fixture, '--stdio', '--era', 'legacy'],
        },
        {
          id: 'everything',
          transport: 'stdio',
          command: process.execPath,
          args: [everything, 'stdio'],
        },
      ],
    });
  });
  after(async () => {
    if (!closed) await gateway?.close();
  });

  it('lists tools and calls a tool, a progress tool and an elicitation tool', async () => {
    const client = await connect(gateway, 'fixture');
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'test_simple_text'));
      assert.match(text(await client.callTool({ name: 'test_simple_text', arguments: {} })), /\w/);
      const seen: number[] = [];
      await client.callTool(
        { name: 'test_tool_with_progress', arguments: {} },
        { onprogress: (progress) => seen.push(progress.progress) },
      );
      assert.deepEqual(seen, [0, 50, 100]);
      const elicited = await client.callTool({
        name: 'test_elicitation',
        arguments: { message: 'who?' },
      });
      assert.match(text(elicited), /ada/);
    } finally {
      await client.close();
    }
    assert.equal(childPids(fixture).length, 1);
    note();
  });

  it('gives each of 20 concurrent clients its own answers from the one shared process', async () => {
    const clients = await Promise.all(
      Array.from({ length: 20 }, () => connect(gateway, 'fixture')),
    );
    try {
      const answers = await Promise.all(
        clients.map((client, i) =>
          client.callTool({
            name: 'json_schema_2020_12_tool',
            arguments: { name: `client-${i}`, email: 'x@example.test' },
          }),
        ),
      );
      answers.forEach((answer, i) => assert.match(text(answer), new RegExp(`"client-${i}"`)));
      assert.equal(childPids(fixture).length, 1);
      note();
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });

  it('fails a call within a second when the child is killed, and the next call restarts it', async () => {
    const asked = Promise.withResolvers<void>();
    const client = await connect(gateway, 'fixture', () => {
      asked.resolve();
      return new Promise(() => undefined);
    });
    try {
      const [pid] = childPids(fixture);
      const call = client.callTool({ name: 'test_elicitation', arguments: { message: 'hang' } });
      call.catch(() => undefined);
      await asked.promise;
      const killedAt = Date.now();
      process.kill(pid!, 'SIGKILL');
      await assert.rejects(call);
      assert.ok(Date.now() - killedAt < 1_000, 'the caller heard of the crash within a second');
      assert.match(text(await client.callTool({ name: 'test_simple_text', arguments: {} })), /\w/);
      const [fresh] = childPids(fixture);
      note();
      assert.ok(fresh !== undefined && fresh !== pid);
    } finally {
      await client.close();
    }
  });

  it('serves the published server-everything over stdio', async () => {
    const client = await connect(gateway, 'everything');
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'echo'));
      const echoed = await client.callTool({ name: 'echo', arguments: { message: 'hello' } });
      assert.match(text(echoed), /hello/);
      note();
    } finally {
      await client.close();
    }
  });

  it('leaves no child process behind after the gateway closes', async () => {
    assert.ok(seenPids.size >= 3);
    closed = true;
    await gateway.close();
    for (const pid of seenPids)
      assert.equal(alive(pid), false, `process ${pid} outlived the gateway`);
  });
});
