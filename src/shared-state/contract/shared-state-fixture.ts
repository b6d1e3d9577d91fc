/**
 * How a contract suite gets its instances: two handles on one shared state.
 * In memory both are the same process state (one instance); on Redis they
 * are two independent connections, as two gateway instances would hold.
 */
import type { SharedState } from '../shared-state.ts';

export interface SharedStateFixture {
  readonly kind: 'memory' | 'redis';
  /** Why the suite cannot run here (no redis-server), else undefined. */
  readonly skip?: string | undefined;
  /** Two instances sharing state, under a key prefix of their own. */
  pair(): Promise<[SharedState, SharedState]>;
}

export const quietLogger = { warn: () => undefined, info: () => undefined };

export async function eventually(check: () => boolean, withinMs = 1_000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return true;
}
