/**
 * Upstream calls parked on this instance while a 2026-07-28 client gathers
 * the input they asked for. This is the one piece of bridging state that
 * is not stateless: the retry must reach the instance holding the call
 * (the sealed requestState names it). A client that never retries does
 * not hold an upstream call forever: after `holdMs` it is cancelled.
 */
import type { HeldCall } from './held-call.ts';

export interface HeldCalls {
  park(call: HeldCall): void;
  /** Takes a parked call out for its next round; undefined when unknown, expired or already taken. */
  take(id: string): HeldCall | undefined;
  size(): number;
  /** Cancels every parked call (shutdown). */
  clear(): void;
}

export function createHeldCalls(options: { holdMs: number; maxCalls: number }): HeldCalls {
  const parked = new Map<string, { call: HeldCall; timer: NodeJS.Timeout }>();
  return {
    park(call) {
      if (parked.size >= options.maxCalls) {
        call.cancel('The gateway holds too many calls waiting for client input.');
        return;
      }
      const timer = setTimeout(() => {
        parked.delete(call.id);
        call.cancel('The client did not retry with the requested input in time.');
      }, options.holdMs);
      timer.unref();
      parked.set(call.id, { call, timer });
    },
    take(id) {
      const entry = parked.get(id);
      if (entry === undefined) return undefined;
      clearTimeout(entry.timer);
      parked.delete(id);
      return entry.call;
    },
    size: () => parked.size,
    clear() {
      for (const { call, timer } of parked.values()) {
        clearTimeout(timer);
        call.cancel('The gateway is shutting down.');
      }
      parked.clear();
    },
  };
}
