/**
 * Writes a downstream text/event-stream response on the raw Node response.
 * SSE is never buffered or compressed (X-Accel-Buffering: no), and idle
 * streams get keep-alive comments so intermediaries do not cut them.
 */
import type { ServerResponse } from 'node:http';
import { formatSseEvent } from '../upstream/sse-parser.ts';
import type { JsonRpcMessage } from './json-rpc.ts';

export interface SseWriter {
  readonly closed: boolean;
  /** Resolves when the client goes away or the stream is ended. */
  readonly done: Promise<void>;
  send(message: JsonRpcMessage | null, eventId?: string, retry?: number): void;
  end(): void;
  bytesWritten(): number;
}

export function openSseStream(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  keepAliveMs = 15_000,
): SseWriter {
  res.writeHead(status, {
    ...headers,
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  let closed = false;
  let bytes = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const keepAlive = setInterval(() => {
    if (!closed) res.write(': keep-alive\n\n');
  }, keepAliveMs);
  keepAlive.unref();
  const finish = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    resolveDone();
  };
  res.on('close', finish);

  return {
    get closed() {
      return closed;
    },
    done,
    send(message, eventId, retry) {
      if (closed) return;
      const text = formatSseEvent({
        data: message === null ? '' : JSON.stringify(message),
        ...(eventId !== undefined ? { id: eventId } : {}),
        ...(retry !== undefined ? { retry } : {}),
      });
      bytes += Buffer.byteLength(text);
      res.write(text);
    },
    end() {
      if (closed) return;
      res.end();
      finish();
    },
    bytesWritten: () => bytes,
  };
}
