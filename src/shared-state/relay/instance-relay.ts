/**
 * Reaching the instance that holds a piece of live state: an upstream
 * stream waiting for a client's answer, a stdio process, a held bridged
 * call. Instances are stateless for everything else, so any request may
 * land on any of them (DESIGN.md, "Scale-out model"); this port is how the
 * few exceptions are found again.
 *
 * - `own(key)` records this instance as the holder of `key` for a while;
 * - `claim(key)` takes the key atomically: exactly one caller, on any
 *   instance, learns its owner (an answer and the owner's own timeout race
 *   for it, and only the winner acts);
 * - `send(instance, topic, payload)` delivers a message to the handlers of
 *   one instance; false when no instance listens under that id (gone).
 *
 * In memory (one instance) nothing leaves the process. The Redis adapter
 * (redis-instance-relay.ts) shares the keys and sends over pub/sub, one
 * channel per instance.
 */
import crypto from 'node:crypto';

export type RelayHandler = (payload: unknown) => void;

export interface InstanceRelay {
  readonly instanceId: string;
  own(key: string, ttlMs: number): Promise<void>;
  /** The key's owner, once across every instance; undefined when unknown, expired or taken. */
  claim(key: string): Promise<string | undefined>;
  send(instanceId: string, topic: string, payload: unknown): Promise<boolean>;
  /** One handler per topic on this instance; returns the unregister. */
  on(topic: string, handler: RelayHandler): () => void;
  close(): Promise<void>;
}

/** Instance ids name pub/sub channels and appear in sealed state: short, random. */
export function newInstanceId(): string {
  return crypto.randomBytes(9).toString('base64url');
}

/** Dispatches received messages to their topic's handler; shared by the adapters. */
export function createTopics(): {
  on: (topic: string, handler: RelayHandler) => () => void;
  dispatch: (topic: string, payload: unknown) => void;
} {
  const handlers = new Map<string, RelayHandler>();
  return {
    on: (topic, handler) => {
      handlers.set(topic, handler);
      return () => {
        if (handlers.get(topic) === handler) handlers.delete(topic);
      };
    },
    dispatch: (topic, payload) => handlers.get(topic)?.(payload),
  };
}

export function createMemoryInstanceRelay(
  instanceId = newInstanceId(),
): InstanceRelay & { /** Keys held, expired or not. */ size(): number } {
  const owned = new Map<string, number>();
  const topics = createTopics();
  // Keys nobody claims (a wait that timed out) expire as Redis would expire them.
  let sweepAt = 1_024;
  return {
    instanceId,
    own(key, ttlMs) {
      const now = Date.now();
      owned.set(key, now + ttlMs);
      if (owned.size > sweepAt) {
        for (const [other, until] of owned) if (until <= now) owned.delete(other);
        sweepAt = Math.max(1_024, owned.size * 2);
      }
      return Promise.resolve();
    },
    claim(key) {
      const until = owned.get(key);
      owned.delete(key);
      return Promise.resolve(until !== undefined && until > Date.now() ? instanceId : undefined);
    },
    send(to, topic, payload) {
      if (to !== instanceId) return Promise.resolve(false);
      // Delivered as a message would be: after the sender has moved on.
      setImmediate(() => topics.dispatch(topic, payload));
      return Promise.resolve(true);
    },
    on: topics.on,
    size: () => owned.size,
    close() {
      owned.clear();
      return Promise.resolve();
    },
  };
}
