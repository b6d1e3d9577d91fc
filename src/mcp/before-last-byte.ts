/**
 * Runs a function once, just before a response's last byte is handed to the
 * socket (the `end` of the raw response, on every path that finishes it:
 * Fastify's send, an SSE stream's end, a hijacked reply). The request record
 * uses it when records are durable: a client that got its whole answer then
 * finds the record even if the process is killed right after.
 */
import type { ServerResponse } from 'node:http';

export function beforeLastByte(res: ServerResponse, run: () => void): void {
  const end = res.end.bind(res);
  res.end = ((...args: Parameters<ServerResponse['end']>) => {
    res.end = end;
    run();
    return end(...args);
  }) as ServerResponse['end'];
}
