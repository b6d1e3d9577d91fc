/**
 * Legacy-era (2025) sessions as sealed, self-describing Mcp-Session-Id
 * values: everything an instance needs to continue the session travels in
 * the id, so any instance can serve any request without sticky routing.
 * Terminated sessions are remembered in a revocation list until they expire.
 */
import type { JsonObject } from '../mcp/json-rpc.ts';
import { GatewayError } from '../shared/errors.ts';
import { GenerationalCache } from '../shared/generational-cache.ts';
import { pooledRandomBytes } from '../shared/random-pool.ts';
import type { SealedBox } from './sealed-box.ts';

export interface LegacySession {
  v: 1;
  /** Workspace and server the session is bound to. */
  ws: string;
  srv: string;
  /** Principal the session is bound to; every request must present the same one. */
  pid: string;
  /** Negotiated protocol version. */
  ver: string;
  /** Client capabilities declared at initialize, mirrored upstream. */
  caps: JsonObject;
  /** Client info declared at initialize (name, version), for records and for re-opening upstream sessions. */
  ci: JsonObject | null;
  /** Namespace for upstream request ids (see mcp/id-mapping.ts). */
  tag: string;
  /** Upstream session id (legacy upstream that minted one), else null. */
  usid: string | null;
  /** Era spoken toward the upstream. */
  uera: 'legacy' | 'modern';
  /** Expiry, seconds since the epoch. */
  exp: number;
}

const PURPOSE = 'mcp-session';

export interface SessionRevocations {
  /** Resolves once the other instances have been told (memory: at once). */
  revoke(tag: string, expiresAt: number): void | Promise<void>;
  /** Synchronous: checked on every request of a session (a shared list keeps a local copy). */
  isRevoked(tag: string): boolean;
}

/** The memory list answers at once. */
export interface MemoryRevocations extends SessionRevocations {
  revoke(tag: string, expiresAt: number): void;
}

/** In-memory revocation list (one instance); src/shared-state/shared-revocations.ts shares it. */
export function createMemoryRevocations(): MemoryRevocations {
  const revoked = new Map<string, number>();
  let sweeps = 0;
  return {
    revoke(tag, expiresAt) {
      revoked.set(tag, expiresAt);
      if (++sweeps % 256 === 0) {
        const now = Date.now() / 1000;
        for (const [key, exp] of revoked) if (exp < now) revoked.delete(key);
      }
    },
    isRevoked: (tag) => revoked.has(tag),
  };
}

export interface LegacySessions {
  mint(fields: Omit<LegacySession, 'v' | 'tag' | 'exp'>): { id: string; session: LegacySession };
  /** Opens an id; undefined when it is forged, expired, revoked or for another endpoint. */
  open(id: string, ws: string, srv: string): LegacySession | undefined;
  /** Resolves once every instance refuses the session. */
  terminate(session: LegacySession): Promise<void>;
}

/** The longest session id minted: it travels in every request's headers. */
const MAX_SESSION_ID_CHARS = 8192;

/** Opened ids kept in memory: a session's requests skip the decryption after its first. */
const OPENED_CACHE_SIZE = 10_000;

export function createLegacySessions(
  box: SealedBox,
  revocations: SessionRevocations,
  ttlSeconds: number,
): LegacySessions {
  // Opening (AES-GCM + JSON) is the largest per-request cost of a 2025-era
  // call; an id that opened once is authentic, so its payload can be reused.
  // Expiry and revocation are still checked on every request.
  const opened = new GenerationalCache<string, LegacySession>(OPENED_CACHE_SIZE);
  const openSealed = (id: string): LegacySession | undefined => {
    const cached = opened.get(id);
    if (cached !== undefined) return cached;
    const session = box.open<LegacySession>(PURPOSE, id);
    if (session?.v !== 1) return undefined;
    opened.set(id, session);
    return session;
  };
  return {
    mint(fields) {
      const session: LegacySession = {
        v: 1,
        ...fields,
        tag: pooledRandomBytes(9).toString('base64url'),
        exp: Math.floor(Date.now() / 1000) + ttlSeconds,
      };
      const id = box.seal(PURPOSE, session);
      // The client sends the id back in a header; Node refuses request headers over 16 KB.
      if (id.length > MAX_SESSION_ID_CHARS)
        throw new GatewayError(
          'invalid_params',
          `The capabilities and client info of this initialize are too large for a session id (${id.length} characters, at most ${MAX_SESSION_ID_CHARS}).`,
        );
      // The client's next requests on this instance (initialized, a call) skip the decryption.
      opened.set(id, session);
      return { id, session };
    },
    open(id, ws, srv) {
      const session = openSealed(id);
      if (session === undefined) return undefined;
      if (session.ws !== ws || session.srv !== srv) return undefined;
      if (session.exp < Date.now() / 1000) return undefined;
      if (revocations.isRevoked(session.tag)) return undefined;
      return session;
    },
    async terminate(session) {
      await revocations.revoke(session.tag, session.exp);
    },
  };
}
