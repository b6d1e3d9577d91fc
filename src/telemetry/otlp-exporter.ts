/**
 * Exports finished spans over OTLP/HTTP with JSON encoding
 * (`POST <endpoint>/v1/traces`, `Content-Type: application/json`), off the
 * hot path: `export()` appends to a bounded queue and returns; batches leave
 * on a timer or when a batch is full, one request at a time. A full queue
 * drops spans with a counter and a rate-limited warning; a failed request
 * is counted, never retried (traces are best effort), and never throws into
 * a request. `close()` sends what is queued.
 */
import { request } from 'undici';
import type { FinishedSpan, OtlpResource } from './otlp-encode.ts';
import { encodeTraceRequest } from './otlp-encode.ts';

export interface OtlpExporterLogger {
  warn(fields: object, message: string): void;
}

export interface OtlpExporterOptions {
  /** Base URL of the collector (OTLP/HTTP); `/v1/traces` is appended. */
  readonly endpoint: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly resource: OtlpResource;
  /** Spans held at most; default 4096. */
  readonly maxQueueSize?: number;
  /** Spans per request; default 512. */
  readonly maxBatchSize?: number;
  /** Longest wait before a partial batch leaves, in ms; default 1000. */
  readonly scheduleDelayMs?: number;
  /** Per export request, in ms; default 10000. */
  readonly timeoutMs?: number;
  /** Longest wait for the last spans at close, in ms; default 5000 (a dead collector must not hold shutdown). */
  readonly closeTimeoutMs?: number;
  /** Shortest time between two warnings, in ms; default 30000. */
  readonly warningIntervalMs?: number;
  readonly logger?: OtlpExporterLogger;
}

export interface OtlpExporterStats {
  readonly queued: number;
  readonly exported: number;
  readonly dropped: number;
  readonly failed: number;
}

export interface SpanExporter {
  export(span: FinishedSpan): void;
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): OtlpExporterStats;
}

/** `<endpoint>/v1/traces`, whether or not the endpoint ends with a slash. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

export function createOtlpExporter(options: OtlpExporterOptions): SpanExporter {
  const url = tracesUrl(options.endpoint);
  const maxQueueSize = options.maxQueueSize ?? 4096;
  const maxBatchSize = Math.max(1, options.maxBatchSize ?? 512);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const warningIntervalMs = options.warningIntervalMs ?? 30_000;
  const headers = { ...options.headers, 'content-type': 'application/json' };
  let queue: FinishedSpan[] = [];
  let inFlight = 0;
  let exported = 0;
  let dropped = 0;
  let failed = 0;
  let closed = false;
  let sending: Promise<void> | undefined;
  // Aborts a request still waiting when close gives up.
  const abandon = new AbortController();
  const lastWarning = { drop: Number.NEGATIVE_INFINITY, failure: Number.NEGATIVE_INFINITY };

  const warn = (kind: 'drop' | 'failure', fields: object, message: string): void => {
    const now = Date.now();
    if (now - lastWarning[kind] < warningIntervalMs) return;
    lastWarning[kind] = now;
    options.logger?.warn(fields, message);
  };

  async function send(batch: FinishedSpan[]): Promise<void> {
    try {
      const reply = await request(url, {
        method: 'POST',
        headers,
        body: encodeTraceRequest(options.resource, batch),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: abandon.signal,
      });
      const text = await reply.body.text();
      if (reply.statusCode < 200 || reply.statusCode >= 300) {
        failed += batch.length;
        warn(
          'failure',
          { status: reply.statusCode, spans: batch.length },
          `OTLP export refused: HTTP ${reply.statusCode}`,
        );
        return;
      }
      // OTLP §"Partial Success": the collector names how many spans it rejected.
      const rejected = partialRejections(text);
      exported += batch.length - rejected;
      failed += rejected;
    } catch (error) {
      failed += batch.length;
      warn('failure', { err: error, spans: batch.length, url }, 'OTLP export failed');
    }
  }

  async function sendLoop(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.length <= maxBatchSize ? queue : queue.slice(0, maxBatchSize);
      queue = queue.length <= maxBatchSize ? [] : queue.slice(maxBatchSize);
      inFlight = batch.length;
      await send(batch);
      inFlight = 0;
    }
  }

  function drain(): Promise<void> {
    sending ??= sendLoop().finally(() => {
      sending = undefined;
    });
    return sending;
  }

  const timer = setInterval(() => {
    if (queue.length > 0) void drain();
  }, options.scheduleDelayMs ?? 1_000);
  timer.unref();

  async function flush(): Promise<void> {
    while (sending !== undefined || queue.length > 0) await drain();
  }

  return {
    export(span) {
      if (closed || queue.length + inFlight >= maxQueueSize) {
        dropped++;
        warn(
          'drop',
          { dropped, maxQueueSize },
          'spans dropped: the OTLP export queue is full (the collector is slower than the traffic or unreachable)',
        );
        return;
      }
      queue.push(span);
      if (queue.length >= maxBatchSize && sending === undefined) setImmediate(() => void drain());
    },
    flush,
    async close() {
      closed = true;
      clearInterval(timer);
      let expire: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => {
        expire = setTimeout(resolve, options.closeTimeoutMs ?? 5_000);
        expire.unref();
      });
      await Promise.race([flush(), expired]);
      clearTimeout(expire);
      abandon.abort();
      // Whatever is still queued is lost: counted, not silently.
      dropped += queue.length;
      queue = [];
    },
    stats: () => ({ queued: queue.length + inFlight, exported, dropped, failed }),
  };
}

function partialRejections(text: string): number {
  if (text === '') return 0;
  try {
    const parsed = JSON.parse(text) as { partialSuccess?: { rejectedSpans?: unknown } };
    const rejected = Number(parsed.partialSuccess?.rejectedSpans ?? 0);
    return Number.isFinite(rejected) && rejected > 0 ? rejected : 0;
  } catch {
    return 0;
  }
}
