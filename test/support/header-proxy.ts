import {
  Agent,
  createServer,
  request as forward,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A reverse proxy that adds fixed headers (typically `Authorization: Bearer …`) to every request.
 * The conformance suite cannot send headers of its own, so tests put this in front of an
 * authenticated endpoint.
 *
 * Everything else passes through untouched and unbuffered, in both directions: the request body
 * is piped as it arrives, response headers are flushed before the first body byte, and SSE events
 * reach the client one by one. `Host` and `Origin` are forwarded as received, so Host/Origin
 * validation behind the proxy sees what the client sent. A client that disconnects aborts the
 * upstream exchange, which is how a streaming server learns the client went away.
 */

export interface HeaderProxyOptions {
  /** Origin to forward to, e.g. `http://127.0.0.1:8080`. The request path is kept. */
  target: string;
  /** Set on every forwarded request, replacing any same-named header the client sent. */
  headers: Record<string, string>;
  host?: string;
}

export interface RunningHeaderProxy {
  /** The proxy's origin, e.g. `http://127.0.0.1:41234`. */
  url: string;
  close(): Promise<void>;
}

// RFC 9110 §7.6.1: connection-specific fields are not forwarded by intermediaries.
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function forwardable(
  headers: IncomingHttpHeaders,
  extra: Record<string, string> = {},
): IncomingHttpHeaders {
  const replaced = new Set(Object.keys(extra).map((name) => name.toLowerCase()));
  const result: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!hopByHop.has(name) && !replaced.has(name)) result[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) result[name.toLowerCase()] = value;
  return result;
}

function badGateway(res: ServerResponse, error: Error): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  res.writeHead(502, { 'content-type': 'text/plain' });
  res.end(`Bad gateway: ${error.message}`);
}

/** Starts the proxy on a free port. */
export async function startHeaderProxy(options: HeaderProxyOptions): Promise<RunningHeaderProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true });

  function proxy(req: IncomingMessage, res: ServerResponse): void {
    const upstream = forward({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: forwardable(req.headers, options.headers),
      agent,
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, forwardable(answer.headers));
      res.flushHeaders();
      answer.pipe(res);
      // An upstream that drops mid-stream must look the same to the client.
      answer.on('close', () => {
        if (!answer.complete) res.destroy();
      });
    });
    upstream.on('error', (error) => badGateway(res, error));
    // 'close' before the response finished means the client went away.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }

  const server = createServer(proxy);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    async close() {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
