/**
 * CSRF defence for every form POST of the sign-in pages (OWASP CSRF
 * Prevention Cheat Sheet):
 * - a synchronizer token: the browser session's `csrfToken`, or before a
 *   session exists a double-submit token (random cookie + hidden field);
 * - Origin, when the browser sends a real one, must be the public origin;
 *   Sec-Fetch-Site, when sent, must not be cross-site.
 * SameSite=Lax on the cookies is a third layer, not the defence.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BrowserSession } from '../../store/model.ts';
import { parseCookieHeader, serializeCookie } from './cookie-header.ts';

/** The hidden form field every page form carries. */
export const CSRF_FIELD = 'csrf';

export interface Csrf {
  /** The token to embed in a form; sets the double-submit cookie when there is no session and none yet. */
  tokenFor(
    request: FastifyRequest,
    reply: FastifyReply,
    session: BrowserSession | undefined,
  ): string;
  /** True when the POST carries a valid token and, if any, an allowed Origin. */
  verify(
    request: FastifyRequest,
    form: URLSearchParams,
    session: BrowserSession | undefined,
  ): boolean;
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

export function createCsrf(deps: { publicUrl: string }): Csrf {
  const publicOrigin = new URL(deps.publicUrl).origin;
  const secure = deps.publicUrl.startsWith('https:');
  const cookieName = secure ? '__Host-portcullis_csrf' : 'portcullis_csrf';

  function cookieToken(request: FastifyRequest): string | undefined {
    const value = parseCookieHeader(request.headers.cookie).get(cookieName);
    return value !== undefined && value.length >= 32 ? value : undefined;
  }

  function originAllowed(request: FastifyRequest): boolean {
    const site = request.headers['sec-fetch-site'];
    if (site === 'cross-site' || site === 'same-site') return false;
    const origin = request.headers.origin;
    // `Origin: null` is what browsers send for a form POST from a page with
    // Referrer-Policy: no-referrer (Fetch §3.1 "serializing a request origin"),
    // so it carries no information; the token still decides.
    if (origin === undefined || origin === 'null') return true;
    return origin === publicOrigin;
  }

  return {
    tokenFor(request, reply, session) {
      if (session !== undefined) return session.csrfToken;
      const existing = cookieToken(request);
      if (existing !== undefined) return existing;
      const token = randomBytes(32).toString('base64url');
      void reply.header('set-cookie', serializeCookie(cookieName, token, { secure }));
      return token;
    },
    verify(request, form, session) {
      if (!originAllowed(request)) return false;
      const submitted = form.get(CSRF_FIELD) ?? '';
      if (session !== undefined && safeEqual(submitted, session.csrfToken)) return true;
      // A form rendered before sign-in in this or another tab still carries the double-submit token.
      const cookie = cookieToken(request);
      return cookie !== undefined && safeEqual(submitted, cookie);
    },
  };
}
