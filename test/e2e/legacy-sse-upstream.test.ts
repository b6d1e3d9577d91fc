/**
 * A published legacy HTTP+SSE server (@modelcontextprotocol/server-everything
 * in its `sse` mode, MCP 2024-11-05) as a `transport: sse` server behind the
 * gateway, reached by the SDK v2 client over Streamable HTTP in the 2025 era.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { connectClient, resultText as text } from '../support/sdk-client.ts';
import { freePort } from '../support/free-port.ts';

interface EverythingServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the server's SSE mode (GET /sse, POST /message) on a port of its own. */
async function startEverythingSse(): Promise<EverythingServer> {
  const entry = fileURLToPath(
    import.meta.resolve('@modelcontextprotocol/server-everything/dist/index.js'),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [entry, 'sse'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines = createInterface({ input: child.stderr! });
  const ready = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.includes('Server is running on port')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server-everything exited with ${code}`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    await ready;
  } finally {
    clearTimeout(timer);
  }
  return {
    url: `http://127.0.0.1:${port}/sse`,
    async close() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

const connect = (gateway: TestGateway) =>
  connectClient(gateway, 'everything', { sample: 'sampled through the gateway' });

describe('a legacy HTTP+SSE upstream behind the gateway', () => {
  let upstream: EverythingServer;
  let gateway: TestGateway;

  before(async () => {
    upstream = await startEverythingSse();
    gateway = await startTestGateway({
      servers: [{ id: 'everything', transport: 'sse', url: upstream.url }],
    });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('initializes and lists the tools of the SSE server', async () => {
    const client = await connect(gateway);
    try {
      assert.equal(client.getServerVersion()?.name, 'mcp-servers/everything');
      const { tools } = await client.listTools();
      const names = tools.map((tool) => tool.name);
      for (const expected of ['echo', 'trigger-long-running-operation', 'get-sum'])
        assert.ok(names.includes(expected), expected);
    } finally {
      await client.close();
    }
  });

  it('calls the echo tool', async () => {
    const client = await connect(gateway);
    try {
      const result = await client.callTool({ name: 'echo', arguments: { message: 'over SSE' } });
      assert.match(text(result), /over SSE/);
    } finally {
      await client.close();
    }
  });

  it('delivers the progress notifications of a long-running tool to the calling client', async () => {
    const client = await connect(gateway);
    try {
      const seen: number[] = [];
      const result = await client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
        { onprogress: (progress) => seen.push(progress.progress) },
      );
      assert.match(text(result), /Long running operation completed/);
      assert.deepEqual(seen, [1, 2, 3]);
    } finally {
      await client.close();
    }
  });

  it('reads a resource', async () => {
    const client = await connect(gateway);
    try {
      const { resources } = await client.listResources();
      const document = resources.find((resource) =>
        resource.uri.startsWith('demo://resource/static/document/'),
      );
      assert.ok(document, 'a static document resource is listed');
      const read = await client.readResource({ uri: document.uri });
      const [content] = read.contents;
      assert.equal(content?.uri, document.uri);
      assert.ok(content && 'text' in content && content.text.length > 0, 'the document has text');
    } finally {
      await client.close();
    }
  });

  it('routes a sampling request made during a call to that client and its answer back', async () => {
    const client = await connect(gateway);
    try {
      const result = await client.callTool({
        name: 'trigger-sampling-request',
        arguments: { prompt: 'hello' },
      });
      assert.match(text(result), /sampled through the gateway/);
    } finally {
      await client.close();
    }
  });

  it('delivers notifications sent outside any call on the standalone stream', async () => {
    const client = await connect(gateway);
    try {
      const logs: unknown[] = [];
      const second = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('no log on the standalone stream')),
          15_000,
        );
        client.setNotificationHandler('notifications/message', (notification) => {
          logs.push(notification.params.data);
          if (logs.length === 2) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      // The first log goes out during the call, on its stream; the next one
      // five seconds later, when no call is in flight, on the GET stream.
      await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
      assert.equal(logs.length, 1);
      await second;
      await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    } finally {
      await client.close();
    }
  });
});
