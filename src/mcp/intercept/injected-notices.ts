/**
 * Merges the notifications interceptors raise themselves (`watch`) into a
 * long-lived stream from the upstream, in arrival order.
 */
import type { JsonRpcNotification } from '../json-rpc.ts';
import type { InterceptContext, Interceptor } from './interceptor.ts';

export function watchers(interceptors: readonly Interceptor[]): Interceptor[] {
  return interceptors.filter((interceptor) => interceptor.watch !== undefined);
}

export async function* withNotices<T>(
  source: AsyncIterable<T>,
  watching: readonly Interceptor[],
  context: InterceptContext,
  wrap: (notification: JsonRpcNotification) => T | undefined,
): AsyncGenerator<T> {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  const stops = watching.map((interceptor) =>
    interceptor.watch!((notification) => {
      const item = wrap(notification);
      if (item === undefined) return;
      queue.push(item);
      wake?.();
    }, context),
  );
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      const woken = new Promise<'woken'>((resolve) => {
        wake = () => resolve('woken');
      });
      const result = await Promise.race([next, woken]);
      wake = undefined;
      if (result === 'woken') continue;
      if (result.done === true) return;
      yield result.value;
      next = iterator.next();
    }
  } finally {
    for (const stop of stops) stop();
    // A pending read ends when the stream's own abort signal fires; do not wait for it.
    void iterator.return?.()?.catch(() => undefined);
  }
}
