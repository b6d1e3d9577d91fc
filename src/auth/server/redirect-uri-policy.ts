/**
 * Which redirect URIs a client may register (DCR) or declare (client ID
 * metadata document). Replaces oidc-provider's web/native scheme rules,
 * which refuse the mixed lists real MCP clients send (Cursor registers a
 * private-use scheme, an https URI and a loopback URI in one request).
 *
 * Accepted: https, loopback http on any port (RFC 8252 §7.3), and a short
 * allowlist of vetted private-use URIs. Everything else refuses the whole
 * registration with `invalid_redirect_uri` (RFC 7591 §3.2.2).
 */

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Private-use scheme redirect URIs of known MCP clients (RFC 8252 §7.1), matched exactly. */
export const PRIVATE_USE_REDIRECT_URIS: ReadonlySet<string> = new Set([
  'cursor://anysphere.cursor-mcp/oauth/callback',
]);

export type RedirectUriVerdict = { ok: true } | { ok: false; reason: string };

export function isLoopbackRedirectUri(uri: string): boolean {
  const parsed = URL.parse(uri);
  return parsed !== null && parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname);
}

export function evaluateRedirectUri(uri: unknown): RedirectUriVerdict {
  if (typeof uri !== 'string' || uri.length === 0) {
    return { ok: false, reason: 'redirect URIs must be non-empty strings' };
  }
  if (uri.length > 2000) return { ok: false, reason: 'redirect URI is too long' };
  // Raw control characters, spaces and backslashes are normalised away by URL parsers and hide tricks.
  if ([...uri].some((char) => char <= ' ' || char === '\u007f' || char === '\\')) {
    return {
      ok: false,
      reason: `redirect URI ${JSON.stringify(uri)} contains forbidden characters`,
    };
  }
  if (uri.includes('#')) return { ok: false, reason: 'redirect URIs must not contain fragments' };
  if (PRIVATE_USE_REDIRECT_URIS.has(uri)) return { ok: true };
  const parsed = URL.parse(uri);
  if (parsed === null)
    return { ok: false, reason: `${JSON.stringify(uri)} is not an absolute URI` };
  if (
    parsed.username !== '' ||
    parsed.password !== '' ||
    /^[a-z][a-z0-9+.-]*:\/\/[^/?]*@/i.test(uri)
  ) {
    return { ok: false, reason: 'redirect URIs must not contain user information' };
  }
  if (parsed.protocol === 'https:') {
    if (parsed.hostname === '') return { ok: false, reason: 'https redirect URIs need a host' };
    return { ok: true };
  }
  if (parsed.protocol === 'http:') {
    if (LOOPBACK_HOSTS.has(parsed.hostname)) return { ok: true };
    return {
      ok: false,
      reason: `http redirect URIs are allowed only on loopback hosts (localhost, 127.0.0.1, [::1]), not ${parsed.hostname}`,
    };
  }
  return {
    ok: false,
    reason: `redirect URI scheme ${parsed.protocol.slice(0, -1)} is not allowed (https, loopback http or a known client's private-use URI)`,
  };
}

/** Checks a whole list; the first refused URI refuses the registration. */
export function evaluateRedirectUris(uris: unknown): RedirectUriVerdict {
  if (!Array.isArray(uris) || uris.length === 0) {
    return { ok: false, reason: 'redirect_uris must be a non-empty array' };
  }
  if (uris.length > 20) return { ok: false, reason: 'at most 20 redirect URIs may be registered' };
  for (const uri of uris) {
    const verdict = evaluateRedirectUri(uri);
    if (!verdict.ok) return verdict;
  }
  return { ok: true };
}

/** What the consent page shows as the redirect target: the host, or the scheme for private-use URIs. */
export function redirectDisplayHost(uri: string): string {
  const parsed = URL.parse(uri);
  if (parsed === null) return uri;
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed.host;
  return `${parsed.protocol}//${parsed.host}`;
}
