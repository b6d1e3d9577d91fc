/**
 * Browser sessions (dashboard, sign-in and consent pages): a random 256-bit
 * token in an HttpOnly cookie; the store keeps only its SHA-256, so a leaked
 * database cannot be replayed as cookies.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RuntimeConfig } from '../../config/runtime-config.ts';
import type { BrowserSession } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';
import { serializeCookie } from './cookie-header.ts';

/** Sliding idle timeout, never beyond the absolute lifetime `browserSessionTtlSeconds`. */
const IDLE_TIMEOUT_SECONDS = 7 * 24 * 3600;
/** Writes to the store at most this often per session. */
const TOUCH_INTERVAL_MS = 60_000;

export interface BrowserSessions {
  /** `__Host-portcullis_session` on https (RFC 6265bis §4.1.3.2), else `portcullis_session`. */
  readonly cookieName: string;
  readonly secure: boolean;
  create(userId: string): Promise<{ token: string; session: BrowserSession; cookie: string }>;
  /** The live session of a cookie token, its expiry slid forward; undefined when unknown or expired. */
  resolve(token: string): Promise<BrowserSession | undefined>;
  remove(token: string): Promise<void>;
  clearCookie(): string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function createBrowserSessions(deps: {
  config: RuntimeConfig;
  store: Store;
  now?: () => Date;
}): BrowserSessions {
  const { config, store } = deps;
  const now = deps.now ?? (() => new Date());
  const secure = config.publicUrl.startsWith('https:');
  const cookieName = secure ? '__Host-portcullis_session' : 'portcullis_session';
  const ttlMs = config.browserSessionTtlSeconds * 1000;
  const idleMs = Math.min(IDLE_TIMEOUT_SECONDS * 1000, ttlMs);

  function expiry(createdAt: Date, at: Date): Date {
    return new Date(Math.min(createdAt.getTime() + ttlMs, at.getTime() + idleMs));
  }

  return {
    cookieName,
    secure,
    async create(userId) {
      const token = randomBytes(32).toString('base64url');
      const at = now();
      const session = await store.browserSessions.create({
        idHash: hashToken(token),
        userId,
        csrfToken: randomBytes(32).toString('base64url'),
        expiresAt: expiry(at, at),
      });
      // The cookie outlives idle expiry on purpose: the server decides, the cookie only carries the token.
      const cookie = serializeCookie(cookieName, token, { secure, maxAge: ttlMs / 1000 });
      return { token, session, cookie };
    },
    async resolve(token) {
      const idHash = hashToken(token);
      const session = await store.browserSessions.find(idHash);
      const at = now();
      if (session === undefined) return undefined;
      if (session.expiresAt.getTime() <= at.getTime()) {
        await store.browserSessions.remove(idHash);
        return undefined;
      }
      if (at.getTime() - session.lastSeenAt.getTime() < TOUCH_INTERVAL_MS) return session;
      const expiresAt = expiry(session.createdAt, at);
      await store.browserSessions.touch(idHash, at, expiresAt);
      return { ...session, lastSeenAt: at, expiresAt };
    },
    async remove(token) {
      await store.browserSessions.remove(hashToken(token));
    },
    clearCookie() {
      return serializeCookie(cookieName, '', { secure, maxAge: 0 });
    },
  };
}
