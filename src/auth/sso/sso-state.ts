/**
 * The state of one single sign-on round trip (OAuth `state`, OIDC `nonce`,
 * the PKCE verifier and where to go afterwards), kept in the browser as a
 * sealed, short-lived, HttpOnly cookie: any instance can finish a sign-in
 * another started, and nothing is stored server-side.
 */
import type { SealedBox } from '../../session/sealed-box.ts';

export const SSO_STATE_PURPOSE = 'sso-state';
export const SSO_STATE_COOKIE = 'portcullis_sso_state';
export const SSO_STATE_TTL_SECONDS = 600;

export interface SsoState {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** Same-origin relative path to return to. */
  readonly next: string;
  /** Expiry, epoch milliseconds: the cookie's Max-Age is only advice to the browser. */
  readonly exp: number;
}

export interface SsoStateCookie {
  /** Set-Cookie value carrying the sealed state. */
  set(state: SsoState): string;
  /** Set-Cookie value that deletes it. */
  clear(): string;
  /** The unexpired state in the request's Cookie header, else undefined. */
  read(cookieHeader: string | undefined, now: number): SsoState | undefined;
}

export function createSsoStateCookie(box: SealedBox, publicUrl: string): SsoStateCookie {
  const url = new URL(publicUrl);
  // Scoped to the callback's folder so it travels with no other request.
  const path = `${url.pathname.replace(/\/+$/, '')}/sso`;
  // SameSite=Lax: the provider's redirect back is a top-level GET, which Lax lets through.
  const attributes = `Path=${path}; HttpOnly; SameSite=Lax${url.protocol === 'https:' ? '; Secure' : ''}`;
  return {
    set(state) {
      const sealed = box.seal(SSO_STATE_PURPOSE, state);
      return `${SSO_STATE_COOKIE}=${sealed}; Max-Age=${SSO_STATE_TTL_SECONDS}; ${attributes}`;
    },
    clear() {
      return `${SSO_STATE_COOKIE}=; Max-Age=0; ${attributes}`;
    },
    read(cookieHeader, now) {
      const sealed = cookieValue(cookieHeader, SSO_STATE_COOKIE);
      if (sealed === undefined) return undefined;
      const state = box.open<SsoState>(SSO_STATE_PURPOSE, sealed);
      if (
        state === undefined ||
        typeof state.state !== 'string' ||
        typeof state.nonce !== 'string' ||
        typeof state.codeVerifier !== 'string' ||
        typeof state.next !== 'string' ||
        typeof state.exp !== 'number' ||
        state.exp <= now
      )
        return undefined;
      return state;
    },
  };
}

/** RFC 6265 §4.2: `name=value` pairs separated by `; `. The first match wins. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at === -1) continue;
    if (part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * Where to go after signing in: a same-origin path only (`/…`, never `//…`
 * or `/\…`, which browsers read as another host), else `/`. Stops open redirects.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2048) return '/';
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  // Control characters and backslashes are stripped or rewritten by browsers in surprising ways.
  if ([...next].some((char) => char < ' ' || char === '\u007f' || char === '\\')) return '/';
  // A Location header carries visible ASCII only (Node refuses the rest with ERR_INVALID_CHAR).
  if (!next.isWellFormed()) return '/';
  return next.replace(/[^\x21-\x7e]+/g, encodeURIComponent);
}
