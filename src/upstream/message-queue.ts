/**
 * A single-consumer async queue: a producer pushes messages as they arrive
 * on a shared upstream stream, and one consumer reads them as an
 * AsyncIterable. Buffered items are delivered before the end or the failure.
 */

export interface MessageQueue<T> extends AsyncIterable<T> {
  /** Buffers one item; false when the queue has finished or is full. */
  push(item: T): boolean;
  /** No more items: the consumer drains the buffer, then stops. */
  end(): void;
  /** The consumer drains the buffer, then gets `error`. */
  fail(error: unknown): void;
  readonly finished: boolean;
}

export function createMessageQueue<T>(options: {
  /** Most items buffered before `push` refuses. */
  limit: number;
  /** Called once when the consumer stops reading before the queue finished. */
  onReturn?: () => void;
}): MessageQueue<T> {
  const buffer: T[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let waiting: ((result: IteratorResult<T>) => void) | undefined;
  let failWaiting: ((error: unknown) => void) | undefined;

  const wake = (): void => {
    const resolve = waiting;
    const reject = failWaiting;
    if (resolve === undefined || reject === undefined) return;
    waiting = undefined;
    failWaiting = undefined;
    if (buffer.length > 0) return resolve({ done: false, value: buffer.shift()! });
    if (failure !== undefined) {
      const { error } = failure;
      failure = undefined;
      return reject(error);
    }
    if (finished) resolve({ done: true, value: undefined });
  };

  const iterator: AsyncIterator<T> = {
    next() {
      if (buffer.length > 0) return Promise.resolve({ done: false, value: buffer.shift()! });
      if (failure !== undefined) {
        const { error } = failure;
        failure = undefined;
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      if (finished) return Promise.resolve({ done: true, value: undefined });
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        waiting = resolve;
        failWaiting = reject;
      });
    },
    return() {
      const early = !finished;
      finished = true;
      failure = undefined;
      buffer.length = 0;
      wake();
      if (early) options.onReturn?.();
      return Promise.resolve({ done: true, value: undefined });
    },
  };

  return {
    push(item) {
      if (finished || buffer.length >= options.limit) return false;
      buffer.push(item);
      wake();
      return true;
    },
    end() {
      if (finished) return;
      finished = true;
      wake();
    },
    fail(error) {
      if (finished) return;
      finished = true;
      failure = { error };
      wake();
    },
    get finished() {
      return finished;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
}
