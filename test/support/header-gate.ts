/**
 * An upstream that requires one header value (401 otherwise) in front of
 * another MCP server, recording the headers of every request it receives:
 * proof that a stored upstream secret reaches the upstream.
 */
import { createServer, request as forward } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeaderGate {
  /** The gate's MCP endpoint (the target's path on the gate's own port). */
  url: string;
  /** Headers of every request that reached the gate, refused ones included. */
  seen: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** `header` is lower-case, as Node names incoming headers. */
export async function startHeaderGate(
  target: string,
  header: string,
  value: string,
): Promise<HeaderGate> {
  const to = new URL(target);
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    if (req.headers[header] !== value) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"unauthorized"}');
      return;
    }
    const upstream = forward(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${to.pathname}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
