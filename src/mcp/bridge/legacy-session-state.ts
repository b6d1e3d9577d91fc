/**
 * What a 2025-era session bridged to a modern-only upstream remembers
 * between its requests, on this instance: the level set by
 * `logging/setLevel` (sent upstream as each request's `logLevel`), the
 * URIs of `resources/subscribe` (sent as the `resourceSubscriptions` of
 * the session's listen stream), and its requests in flight (for
 * `notifications/cancelled`).
 *
 * The modern upstream keeps none of this, and the sealed session id cannot
 * change after initialize, so it lives here, bounded and dropped when the
 * session expires. A session whose requests land on several instances
 * keeps these settings per instance.
 */
import type { JsonRpcId } from '../json-rpc.ts';

export interface LegacySessionState {
  logLevel(tag: string): string | undefined;
  setLogLevel(tag: string, expiresAt: number, level: string): void;
  subscriptions(tag: string): readonly string[];
  /** Adds or removes a subscribed URI; listeners of the session hear about it. */
  setSubscribed(tag: string, expiresAt: number, uri: string, subscribed: boolean): void;
  /** Calls `listener` whenever the session's subscriptions change; returns the unsubscribe. */
  watchSubscriptions(tag: string, expiresAt: number, listener: () => void): () => void;
  /** Tracks a request in flight; returns the untrack. */
  track(tag: string, expiresAt: number, id: JsonRpcId, controller: AbortController): () => void;
  /** Aborts a request in flight; false when it is not (or no longer) in flight here. */
  cancel(tag: string, id: JsonRpcId): boolean;
  size(): number;
}

interface Entry {
  expiresAt: number;
  logLevel?: string;
  uris: Set<string>;
  inflight: Map<string, AbortController>;
  listeners: Set<() => void>;
}

const idKey = (id: JsonRpcId): string => `${typeof id}:${id}`;

export function createLegacySessionState(maxSessions: number): LegacySessionState {
  const entries = new Map<string, Entry>();
  let writes = 0;

  const entry = (tag: string, expiresAt: number): Entry => {
    let found = entries.get(tag);
    if (found === undefined) {
      if (++writes % 256 === 0) {
        const now = Date.now() / 1000;
        for (const [key, value] of entries) if (value.expiresAt < now) entries.delete(key);
      }
      for (const key of entries.keys()) {
        if (entries.size < maxSessions) break;
        entries.delete(key);
      }
      found = { expiresAt, uris: new Set(), inflight: new Map(), listeners: new Set() };
      entries.set(tag, found);
    }
    return found;
  };

  return {
    logLevel: (tag) => entries.get(tag)?.logLevel,
    setLogLevel(tag, expiresAt, level) {
      entry(tag, expiresAt).logLevel = level;
    },
    subscriptions: (tag) => [...(entries.get(tag)?.uris ?? [])],
    setSubscribed(tag, expiresAt, uri, subscribed) {
      const found = entry(tag, expiresAt);
      const had = found.uris.has(uri);
      if (subscribed) found.uris.add(uri);
      else found.uris.delete(uri);
      if (had !== subscribed) for (const listener of found.listeners) listener();
    },
    watchSubscriptions(tag, expiresAt, listener) {
      const found = entry(tag, expiresAt);
      found.listeners.add(listener);
      return () => found.listeners.delete(listener);
    },
    track(tag, expiresAt, id, controller) {
      const found = entry(tag, expiresAt);
      found.inflight.set(idKey(id), controller);
      return () => {
        if (found.inflight.get(idKey(id)) === controller) found.inflight.delete(idKey(id));
      };
    },
    cancel(tag, id) {
      const controller = entries.get(tag)?.inflight.get(idKey(id));
      if (controller === undefined) return false;
      controller.abort();
      return true;
    },
    size: () => entries.size,
  };
}
