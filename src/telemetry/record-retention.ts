/**
 * Retention by age: a periodic job deletes request records older than the
 * retention period (PORTCULLIS_RECORD_RETENTION_DAYS). Every instance may run
 * it; the delete is idempotent, so several instances only repeat each other.
 * The timer never keeps the process alive, and `stop()` waits for a run in
 * progress so shutdown never closes the store under it.
 */
import type { Store } from '../store/store.ts';

const DAY_MS = 86_400_000;

export interface RecordRetentionLogger {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface RecordRetentionOptions {
  readonly store: { readonly requestRecords: Pick<Store['requestRecords'], 'removeOlderThan'> };
  /** 0 keeps records forever (the job does nothing). */
  readonly retentionDays: number;
  /** Time between runs; default one hour. */
  readonly intervalMs?: number;
  /** Delay before the first run after start; default one minute (start-up stays quick). */
  readonly firstRunDelayMs?: number;
  readonly logger: RecordRetentionLogger;
  readonly now?: () => Date;
}

export interface RecordRetention {
  start(): void;
  /** One cleanup now; resolves to the number of records removed. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

export function createRecordRetention(options: RecordRetentionOptions): RecordRetention {
  const intervalMs = options.intervalMs ?? 3_600_000;
  const firstRunDelayMs = options.firstRunDelayMs ?? 60_000;
  const now = options.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;

  async function cleanup(): Promise<number> {
    if (options.retentionDays === 0) return 0;
    const cutoff = new Date(now().getTime() - options.retentionDays * DAY_MS);
    try {
      const removed = await options.store.requestRecords.removeOlderThan(cutoff);
      if (removed > 0)
        options.logger.info(
          { removed, cutoff: cutoff.toISOString() },
          'request records past retention removed',
        );
      return removed;
    } catch (error) {
      options.logger.error({ err: error }, 'request record retention cleanup failed');
      return 0;
    }
  }

  function runOnce(): Promise<number> {
    running ??= cleanup().finally(() => {
      running = undefined;
    });
    return running;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void runOnce().finally(() => schedule(intervalMs));
    }, delayMs);
    timer.unref();
  }

  return {
    start() {
      if (options.retentionDays > 0 && timer === undefined && !stopped) schedule(firstRunDelayMs);
    },
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
