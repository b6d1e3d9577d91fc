import { Agent, createServer, request as forward, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through proxy that records what reaches an upstream MCP server: each HTTP exchange's
 * method, headers and JSON-RPC body, and whether the caller abandoned it before the upstream
 * finished answering. Tests put it between the gateway and a fixture to see the upstream leg.
 * Answers (SSE included) are piped through unbuffered.
 */

export interface RecordedExchange {
  method: string;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body of a POST, else undefined. */
  body: unknown;
  /** Set when the caller closed the exchange before the upstream's answer ended. */
  abandoned: boolean;
}

export interface RunningRecordingProxy {
  /** The proxy URL with the target's path, e.g. `http://127.0.0.1:PORT/mcp`. */
  url: string;
  exchanges: RecordedExchange[];
  /** JSON-RPC bodies of recorded POSTs, in arrival order. */
  messages(): Array<{ id?: unknown; method?: string; params?: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RunningRecordingProxy> {
  const url = new URL(target);
  const agent = new Agent({ keepAlive: true });
  const exchanges: RecordedExchange[] = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const exchange: RecordedExchange = {
        method: req.method ?? 'GET',
        headers: req.headers,
        body,
        abandoned: false,
      };
      exchanges.push(exchange);
      const upstream = forward({
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: url.host },
        agent,
      });
      upstream.on('response', (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.flushHeaders();
        answer.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => {
        if (!res.writableFinished) {
          exchange.abandoned = true;
          upstream.destroy();
        }
      });
      upstream.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${url.pathname}`,
    exchanges,
    messages: () =>
      exchanges
        .map((exchange) => exchange.body)
        .filter(
          (body): body is Record<string, unknown> => typeof body === 'object' && body !== null,
        ),
    async close() {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
