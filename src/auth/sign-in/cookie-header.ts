/**
 * Cookie header parsing and Set-Cookie serialisation (RFC 6265), kept here
 * because the gateway mounts no cookie plugin on its hot path.
 */

/** Parses a Cookie request header; the first occurrence of a name wins, malformed pairs are skipped. */
export function parseCookieHeader(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header === undefined || header === '') return cookies;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals <= 0) continue;
    const name = pair.slice(0, equals).trim();
    let value = pair.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1);
    if (name === '' || cookies.has(name)) continue;
    // Our values are base64url; anything else is not ours and is ignored rather than decoded.
    if (!/^[\w.~-]*$/.test(value)) continue;
    cookies.set(name, value);
  }
  return cookies;
}

export interface CookieOptions {
  secure: boolean;
  /** Seconds; 0 deletes the cookie. Omitted makes a browser-session cookie. */
  maxAge?: number;
}

/** `HttpOnly; SameSite=Lax; Path=/` always: these cookies are never read by script and are host-wide. */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  if (!/^[\w-]+$/.test(name)) throw new Error(`invalid cookie name ${name}`);
  if (!/^[\w.~-]*$/.test(value)) throw new Error('invalid cookie value');
  let cookie = `${name}=${value}; Path=/; HttpOnly; SameSite=Lax`;
  if (options.maxAge !== undefined)
    cookie += `; Max-Age=${Math.max(0, Math.floor(options.maxAge))}`;
  if (options.secure) cookie += '; Secure';
  return cookie;
}
