/**
 * Writes request records off the hot path (HOUSE_STYLE rule 7): `write()`
 * appends to a bounded in-memory queue and returns; a drain loop inserts
 * batches through the store. When the queue is full, records are dropped and
 * counted, with at most one warning per interval. A batch that fails is
 * retried once, then counted as failed: telemetry never blocks or breaks a
 * request. While the store cannot be reached at all (a database restart or
 * failover), a failed batch is kept and retried with backoff until the store
 * answers again or the writer closes: the queue bound caps what that holds.
 *
 * With a spool (record-spool.ts) every accepted record is also written to a
 * local file before it is queued, and each finished batch is committed
 * there, so a crash loses no accepted record.
 */
import type { Store } from '../store/store.ts';
import { cleanRecord } from './record-hygiene.ts';
import type { RecordSpool } from './record-spool.ts';
import type { RequestRecord } from './request-record.ts';

export interface RecordWriterLogger {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface RecordWriterOptions {
  store: {
    readonly requestRecords: Pick<Store['requestRecords'], 'insertMany'>;
    /** Tells an unreachable store (keep the batch and wait) from a batch it refuses (count it failed). */
    ping?: Store['ping'];
  };
  /** Records held in memory at most; more are dropped. */
  queueSize: number;
  /** Records per insert; default 500. */
  batchSize?: number;
  /** Longest time a record waits for a batch to fill, in ms; default 1000. */
  flushIntervalMs?: number;
  /** Pause before the one retry of a failed batch, in ms; default 200. */
  retryDelayMs?: number;
  /** Longest pause between retries while the store is unreachable, in ms; default 5000. */
  maxRetryDelayMs?: number;
  /** Shortest time between two "records dropped" warnings, in ms; default 10000. */
  dropWarningIntervalMs?: number;
  logger?: RecordWriterLogger;
  /** Crash safety: accepted records are appended here and committed once stored or failed. */
  spool?: Pick<RecordSpool, 'append' | 'commit'>;
}

export interface RecordWriterStats {
  /** Accepted, not yet written or failed (includes the batch being written). */
  queued: number;
  written: number;
  /** Refused because the queue was full or the writer closed. */
  dropped: number;
  /** Given up on after a retry. */
  failed: number;
}

export interface RecordWriter {
  write(record: RequestRecord): void;
  /** Resolves once everything written before the call is stored or failed. */
  flush(): Promise<void>;
  /** Stops accepting records and flushes the rest. */
  close(): Promise<void>;
  stats(): RecordWriterStats;
}

const silent: RecordWriterLogger = { warn: () => undefined, error: () => undefined };

export function createRecordWriter(options: RecordWriterOptions): RecordWriter {
  const batchSize = Math.max(1, options.batchSize ?? 500);
  const flushIntervalMs = options.flushIntervalMs ?? 1_000;
  const retryDelayMs = options.retryDelayMs ?? 200;
  const maxRetryDelayMs = Math.max(retryDelayMs, options.maxRetryDelayMs ?? 5_000);
  const dropWarningIntervalMs = options.dropWarningIntervalMs ?? 10_000;
  const logger = options.logger ?? silent;
  const spool = options.spool;

  let queue: RequestRecord[] = [];
  let inFlight = 0;
  let written = 0;
  let dropped = 0;
  let failed = 0;
  let closed = false;
  let draining: Promise<void> | undefined;
  let drainScheduled = false;
  let lastDropWarning = Number.NEGATIVE_INFINITY;
  let droppedSinceWarning = 0;

  async function reachable(): Promise<boolean> {
    if (options.store.ping === undefined) return true;
    return options.store.ping().then(
      () => true,
      () => false,
    );
  }

  async function insertBatch(batch: RequestRecord[]): Promise<void> {
    let firstError: unknown;
    let retried = false;
    let delay = retryDelayMs;
    let waiting = false;
    for (;;) {
      try {
        await options.store.requestRecords.insertMany(batch);
        if (waiting) logger.warn({ records: batch.length }, 'request records are written again');
        written += batch.length;
        return;
      } catch (error) {
        const outage = !closed && !(await reachable());
        if (!outage && retried) {
          failed += batch.length;
          logger.error(
            { err: error, firstError, records: batch.length },
            'request records could not be written',
          );
          return;
        }
        firstError ??= error;
        if (outage && !waiting) {
          waiting = true;
          logger.warn(
            { err: error, records: batch.length },
            'the store cannot be reached: request records wait in the queue until it answers',
          );
        }
        if (!outage) retried = true;
        // Long enough for a pool to reconnect or a SQLite writer to finish.
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (outage) delay = Math.min(delay * 2, maxRetryDelayMs);
      }
    }
  }

  async function drainLoop(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.length <= batchSize ? queue : queue.slice(0, batchSize);
      queue = queue.length <= batchSize ? [] : queue.slice(batchSize);
      inFlight = batch.length;
      await insertBatch(batch);
      // FIFO: the batch is the oldest records the spool holds. A failed batch is
      // committed too: it was logged and counted, and would fail again on replay.
      spool?.commit(batch.length);
      inFlight = 0;
    }
  }

  function drain(): Promise<void> {
    draining ??= drainLoop().finally(() => {
      draining = undefined;
    });
    return draining;
  }

  function scheduleDrain(): void {
    if (drainScheduled || draining !== undefined) return;
    drainScheduled = true;
    setImmediate(() => {
      drainScheduled = false;
      void drain();
    });
  }

  function drop(): void {
    dropped++;
    droppedSinceWarning++;
    const now = Date.now();
    if (now - lastDropWarning < dropWarningIntervalMs) return;
    lastDropWarning = now;
    logger.warn(
      { dropped: droppedSinceWarning, droppedTotal: dropped, queueSize: options.queueSize, closed },
      closed
        ? 'request records dropped: the writer is closed'
        : 'request records dropped: the record queue is full (the store is slower than the traffic; raise PORTCULLIS_RECORD_QUEUE_SIZE or check the database)',
    );
    droppedSinceWarning = 0;
  }

  const timer = setInterval(() => {
    if (queue.length > 0) void drain();
  }, flushIntervalMs);
  // Telemetry alone never keeps the process alive.
  timer.unref();

  async function flush(): Promise<void> {
    // A drain started earlier may have taken only part of the queue: loop.
    while (draining !== undefined || queue.length > 0) await drain();
  }

  return {
    write(record) {
      try {
        if (closed || queue.length + inFlight >= options.queueSize) return drop();
        cleanRecord(record);
        spool?.append(record);
        queue.push(record);
        if (queue.length >= batchSize) scheduleDrain();
      } catch {
        // write() is called on the request path and must never throw.
      }
    },

    flush,

    async close() {
      closed = true;
      clearInterval(timer);
      await flush();
    },

    stats: () => ({ queued: queue.length + inFlight, written, dropped, failed }),
  };
}
