import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';

import { startHeaderProxy } from '../support/header-proxy.ts';

async function withUpstream(
  listener: RequestListener,
  body: (proxyUrl: string) => Promise<void>,
): Promise<void> {
  const upstream = createServer(listener);
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const { port } = upstream.address() as AddressInfo;
  const proxy = await startHeaderProxy({
    target: `http://127.0.0.1:${port}`,
    headers: { Authorization: 'Bearer test-key' },
  });
  try {
    await body(proxy.url);
  } finally {
    await proxy.close();
    upstream.closeAllConnections();
    upstream.close();
  }
}

function sse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.flushHeaders();
}

/** Fails instead of hanging, so the test's cleanup still runs when the proxy misbehaves. */
function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  text: string,
): Promise<string> {
  const decoder = new TextDecoder();
  let received = '';
  while (!received.includes(text)) {
    const { value, done } = await within(reader.read(), `"${text}"`);
    if (done) break;
    received += decoder.decode(value, { stream: true });
  }
  return received;
}

describe('header proxy', () => {
  it('adds the fixed headers and forwards everything else unchanged', async () => {
    let seen: IncomingMessage | undefined;
    let seenBody = '';
    await withUpstream(
      (req, res) => {
        seen = req;
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => (seenBody += chunk));
        req.on('end', () => res.writeHead(201, { 'x-upstream': 'yes' }).end('created'));
      },
      async (proxyUrl) => {
        const response = await fetch(`${proxyUrl}/ws/srv/mcp?x=1`, {
          method: 'POST',
          headers: { authorization: 'Bearer client-key', 'mcp-session-id': 'abc' },
          body: '{"jsonrpc":"2.0"}',
        });
        assert.equal(response.status, 201);
        assert.equal(response.headers.get('x-upstream'), 'yes');
        assert.equal(await response.text(), 'created');
      },
    );
    assert.equal(seen?.url, '/ws/srv/mcp?x=1');
    assert.equal(seen?.headers.authorization, 'Bearer test-key');
    assert.equal(seen?.headers['mcp-session-id'], 'abc');
    assert.match(seen?.headers.host ?? '', /^127\.0\.0\.1:\d+$/);
    assert.equal(seenBody, '{"jsonrpc":"2.0"}');
  });

  it('streams SSE event by event', async () => {
    let firstEventSeen: () => void = () => {};
    const firstEvent = new Promise<void>((resolve) => (firstEventSeen = resolve));
    await withUpstream(
      (_req, res) => {
        sse(res);
        res.write('data: one\n\n');
        // The second event is only sent once the client has seen the first one through the
        // proxy; a buffering proxy deadlocks here and the test times out.
        void firstEvent.then(() => res.end('data: two\n\n'));
      },
      async (proxyUrl) => {
        const response = await fetch(`${proxyUrl}/mcp`, {
          headers: { accept: 'text/event-stream' },
        });
        const reader = response.body!.getReader();
        assert.match(await readUntil(reader, 'one'), /data: one/);
        firstEventSeen();
        assert.match(await readUntil(reader, 'two'), /data: two/);
      },
    );
  });

  it('closes the upstream exchange when the client disconnects', async () => {
    let upstreamClosed: () => void = () => {};
    const closed = new Promise<void>((resolve) => (upstreamClosed = resolve));
    await withUpstream(
      (_req, res) => {
        sse(res);
        res.write('data: open\n\n');
        res.on('close', () => upstreamClosed());
      },
      async (proxyUrl) => {
        const abort = new AbortController();
        const response = await fetch(`${proxyUrl}/mcp`, { signal: abort.signal });
        await readUntil(response.body!.getReader(), 'open');
        abort.abort();
        await within(closed, 'the upstream to see the disconnect');
      },
    );
  });

  it('answers 502 when the target is unreachable', async () => {
    const idle = createServer();
    idle.listen(0, '127.0.0.1');
    await once(idle, 'listening');
    const { port } = idle.address() as AddressInfo;
    idle.close();
    const proxy = await startHeaderProxy({ target: `http://127.0.0.1:${port}`, headers: {} });
    try {
      assert.equal((await fetch(`${proxy.url}/mcp`)).status, 502);
    } finally {
      await proxy.close();
    }
  });
});
