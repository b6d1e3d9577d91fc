/**
 * `transport: stdio` servers behind a real gateway, reached by the SDK v2
 * client over Streamable HTTP in the 2025 era: the fixture server and the
 * published server-everything and server-memory, each run by the gateway as
 * one shared child process.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { childPids, isAlive } from '../support/child-processes.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { acceptAda, connectClient, resultText as text } from '../support/sdk-client.ts';

const fixture = fileURLToPath(new URL('../fixtures/fixture-server/main.ts', import.meta.url));
const everything = fileURLToPath(
  import.meta.resolve('@modelcontextprotocol/server-everything/dist/index.js'),
);
const memory = fileURLToPath(
  import.meta.resolve('@modelcontextprotocol/server-memory/dist/index.js'),
);

const connect = (gateway: TestGateway, server: string, elicit = acceptAda) =>
  connectClient(gateway, server, { elicit });

describe('stdio servers through the gateway', () => {
  let gateway: TestGateway;
  let closed = false;
  let memoryDir: string;
  const seenPids = new Set<number>();
  const note = (): number[] => {
    const pids = [...childPids(fixture), ...childPids(everything), ...childPids(memory)];
    for (const pid of pids) seenPids.add(pid);
    return pids;
  };

  before(async () => {
    memoryDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-memory-'));
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
        {
          id: 'memory',
          transport: 'stdio',
          command: process.execPath,
          args: [memory],
          // Keeps the knowledge graph out of the package's own directory.
          env: { MEMORY_FILE_PATH: path.join(memoryDir, 'memory.jsonl') },
        },
      ],
    });
  });
  after(async () => {
    if (!closed) await gateway?.close();
    await rm(memoryDir, { recursive: true, force: true });
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

  it('shows the running process through the admin API: pid, restarts and memory', async () => {
    const response = await fetch(`${gateway.url}/api/v1/workspaces/acme/servers/fixture/status`, {
      headers: { authorization: `Bearer ${gateway.apiKey}` },
    });
    assert.equal(response.status, 200);
    const status = (await response.json()) as {
      transport: string;
      process: { state: string; pid: number; restarts: number; memory_rss_bytes: number } | null;
    };
    assert.equal(status.transport, 'stdio');
    assert.equal(status.process?.state, 'running');
    assert.deepEqual(childPids(fixture), [status.process.pid]);
    assert.equal(status.process.restarts, 0);
    assert.ok(status.process.memory_rss_bytes > 1_000_000);
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

  it('serves the published server-memory over stdio: an entity created is read back', async () => {
    const client = await connect(gateway, 'memory');
    try {
      const { tools } = await client.listTools();
      const names = tools.map((tool) => tool.name);
      assert.ok(names.includes('create_entities') && names.includes('read_graph'), names.join());
      const entity = {
        name: 'Ada',
        entityType: 'person',
        observations: ['wrote the first program'],
      };
      await client.callTool({ name: 'create_entities', arguments: { entities: [entity] } });
      const graph = await client.callTool({ name: 'read_graph', arguments: {} });
      assert.deepEqual((graph.structuredContent as { entities: unknown[] }).entities, [entity]);
      assert.match(await readFile(path.join(memoryDir, 'memory.jsonl'), 'utf8'), /Ada/);
      note();
    } finally {
      await client.close();
    }
  });

  it('leaves no child process behind after the gateway closes', async () => {
    assert.ok(seenPids.size >= 4);
    closed = true;
    await gateway.close();
    for (const pid of seenPids)
      assert.equal(isAlive(pid), false, `process ${pid} outlived the gateway`);
  });
});
