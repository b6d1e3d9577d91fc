/**
 * Server→client requests (sampling, elicitation, roots) relayed to a
 * downstream client and not yet answered. A client may declare a capability
 * and never answer (claude.ai and roots/list), so each one times out and the
 * upstream gets an error instead of waiting forever.
 */

export interface PendingClientRequests {
  /** Starts the clock; `onTimeout` runs once if nobody settles the key in time. */
  register(key: string, onTimeout: () => void): void;
  /** Marks the key answered; false when it was not pending (unknown, or timed out). */
  settle(key: string): boolean;
  /** Cancels every clock (shutdown). */
  clear(): void;
  size(): number;
}

export function createPendingClientRequests(timeoutMs: number): PendingClientRequests {
  const pending = new Map<string, NodeJS.Timeout>();
  return {
    register(key, onTimeout) {
      const existing = pending.get(key);
      if (existing) clearTimeout(existing);
      const timer = setTimeout(() => {
        pending.delete(key);
        onTimeout();
      }, timeoutMs);
      timer.unref();
      pending.set(key, timer);
    },
    settle(key) {
      const timer = pending.get(key);
      if (timer === undefined) return false;
      clearTimeout(timer);
      pending.delete(key);
      return true;
    },
    clear() {
      for (const timer of pending.values()) clearTimeout(timer);
      pending.clear();
    },
    size: () => pending.size,
  };
}
