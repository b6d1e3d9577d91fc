/**
 * Live legacy upstream sessions, reused across downstream sessions.
 *
 * Claude re-initializes before nearly every tool call. A downstream
 * `initialize` is answered from a live upstream session opened earlier for
 * the same principal, server, protocol version and client capabilities, so
 * it costs no upstream round trip. Reuse never crosses principals or
 * capability sets: server→client requests and notifications stay with the
 * client that could receive them.
 *
 * When an upstream forgets a session (404), the next request opens a fresh
 * one and records the replacement, so downstream sessions that carry the old
 * id in their sealed token keep working.
 */
import crypto from 'node:crypto';
import type { JsonObject } from '../mcp/json-rpc.ts';

export interface UpstreamSession {
  /** The upstream's Mcp-Session-Id; null when the upstream is stateless. */
  sessionId: string | null;
  protocolVersion: string;
  /** The upstream's InitializeResult, replayed for reused sessions. */
  result: JsonObject;
}

export interface UpstreamSessionPool {
  /** Returns a live session for `key`, creating it (once, even under concurrency) when none is live. */
  acquire(
    key: string,
    create: () => Promise<UpstreamSession>,
  ): Promise<{ session: UpstreamSession; reused: boolean }>;
  /** Forgets a session the upstream no longer knows. */
  evict(key: string, sessionId: string | null): void;
  /**
   * Latest replacement of an upstream session id that has been re-created.
   * Replacements are scoped (`<workspace>/<server>|<principal>`): two
   * upstreams, or one after a restart, may mint the same id.
   */
  resolve(scope: string, sessionId: string): string;
  replace(scope: string, oldSessionId: string, newSessionId: string): void;
  /** Marks a session used now: sessions in use never count as idle. */
  touch(sessionId: string): void;
  /** A stream is attached to the session: it is not let go while held. */
  hold(sessionId: string): void;
  release(sessionId: string): void;
  /** Lets idle sessions go (run periodically). */
  sweep(now?: number): void;
  /** Sessions still open, for shutdown. */
  drain(): Array<{ key: string; session: UpstreamSession }>;
}

export function upstreamSessionKey(parts: {
  serverKey: string;
  principalId: string;
  protocolVersion: string;
  capabilities: unknown;
  clientInfo: unknown;
}): string {
  const fingerprint = crypto
    .hash(
      'sha256',
      JSON.stringify([parts.capabilities ?? {}, parts.clientInfo ?? null]),
      'base64url',
    )
    .slice(0, 22);
  return `${parts.serverKey}|${parts.principalId}|${parts.protocolVersion}|${fingerprint}`;
}

interface Entry {
  session: UpstreamSession;
  lastUsed: number;
}

export interface UpstreamSessionPoolOptions {
  idleMs: number;
  maxEntries: number;
  /** Called for each session the pool lets go (idle, over capacity), so it can be ended upstream. */
  onExpire?: (key: string, session: UpstreamSession) => void;
}

/** The server part of a pool key (`<workspace>/<server>`). */
export function serverKeyOf(poolKey: string): string {
  return poolKey.slice(0, poolKey.indexOf('|'));
}

export function createUpstreamSessionPool(
  options: UpstreamSessionPoolOptions,
): UpstreamSessionPool {
  const live = new Map<string, Entry>();
  const inflight = new Map<string, Promise<UpstreamSession>>();
  const replacements = new Map<string, string>();
  /** Live sessions by upstream session id, so requests on a session keep it alive. */
  const keyOf = new Map<string, string>();
  const holds = new Map<string, number>();

  const forget = (key: string, entry: Entry): void => {
    live.delete(key);
    if (entry.session.sessionId !== null) keyOf.delete(entry.session.sessionId);
  };
  const letGo = (key: string, entry: Entry): void => {
    forget(key, entry);
    options.onExpire?.(key, entry.session);
  };
  const isHeld = (entry: Entry): boolean =>
    entry.session.sessionId !== null && (holds.get(entry.session.sessionId) ?? 0) > 0;
  const expire = (now: number): void => {
    for (const [key, entry] of live) {
      if (now - entry.lastUsed > options.idleMs && !isHeld(entry)) letGo(key, entry);
    }
    for (const [key, entry] of live) {
      if (live.size <= options.maxEntries) break;
      if (!isHeld(entry)) letGo(key, entry);
    }
  };

  return {
    async acquire(key, create) {
      const now = Date.now();
      const entry = live.get(key);
      if (entry && now - entry.lastUsed <= options.idleMs) {
        entry.lastUsed = now;
        // Most recently used last, so capacity eviction takes the least recently used.
        live.delete(key);
        live.set(key, entry);
        return { session: entry.session, reused: true };
      }
      if (entry) letGo(key, entry);
      let pending = inflight.get(key);
      if (pending === undefined) {
        pending = create().finally(() => inflight.delete(key));
        inflight.set(key, pending);
        const session = await pending;
        expire(now);
        live.set(key, { session, lastUsed: Date.now() });
        if (session.sessionId !== null) keyOf.set(session.sessionId, key);
        return { session, reused: false };
      }
      return { session: await pending, reused: true };
    },
    evict(key, sessionId) {
      const entry = live.get(key);
      if (entry && entry.session.sessionId === sessionId) forget(key, entry);
    },
    resolve(scope, sessionId) {
      let current = sessionId;
      for (let hops = 0; hops < 8; hops++) {
        const next = replacements.get(`${scope}|${current}`);
        if (next === undefined) return current;
        current = next;
      }
      return current;
    },
    replace(scope, oldSessionId, newSessionId) {
      replacements.set(`${scope}|${oldSessionId}`, newSessionId);
      if (replacements.size > 100_000) {
        const oldest = replacements.keys().next().value;
        if (oldest !== undefined) replacements.delete(oldest);
      }
    },
    touch(sessionId) {
      const key = keyOf.get(sessionId);
      const entry = key === undefined ? undefined : live.get(key);
      if (entry !== undefined) entry.lastUsed = Date.now();
    },
    hold(sessionId) {
      holds.set(sessionId, (holds.get(sessionId) ?? 0) + 1);
    },
    release(sessionId) {
      const count = (holds.get(sessionId) ?? 0) - 1;
      if (count > 0) holds.set(sessionId, count);
      else holds.delete(sessionId);
      this.touch(sessionId);
    },
    sweep(now = Date.now()) {
      expire(now);
    },
    drain() {
      const sessions = [...live.entries()].map(([key, entry]) => ({ key, session: entry.session }));
      live.clear();
      keyOf.clear();
      return sessions;
    },
  };
}
