/**
 * Verification of the access tokens the gateway's authorization server
 * issues: RFC 9068 JWTs (ES256, `typ: at+jwt`), checked for signature,
 * issuer, expiry and a live grant that still covers the token's audience. Audience and scope are checked per
 * request by `authorize`, since they depend on the addressed server.
 *
 * Verified tokens are cached by their exact string, so a client's every
 * request does not verify a signature again; a cached token is still
 * refused the moment it expires or its grant is revoked on this instance,
 * and at most GRANT_RECHECK_MS after a revocation on another one.
 */
import { createLocalJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import type { JWK } from 'jose';
import { GenerationalCache } from '../../shared/generational-cache.ts';

export interface AccessTokenClaims {
  readonly userId: string;
  /** RFC 8707 audience: the one resource URL the token was issued for. */
  readonly audience: readonly string[];
  readonly clientId: string;
  readonly scopes: ReadonlySet<string>;
  /** Epoch seconds. */
  readonly expiresAt: number;
  readonly grantId: string;
}

export interface AccessTokenVerifier {
  /** Resolves to the claims, or to undefined for any token that is not valid now. */
  verify(token: string): AccessTokenClaims | undefined | Promise<AccessTokenClaims | undefined>;
  /** Forgets every cached token of a revoked grant. */
  forgetGrant(grantId: string): void;
}

export interface AccessTokenVerifierOptions {
  issuer: string;
  /** Public keys of the authorization server, read on each cache miss (keys may rotate). */
  keys: () => readonly JWK[];
  /**
   * Whether the grant still exists, is unexpired and still covers the
   * token's audience (an admin may withdraw one workspace's resources from a
   * grant that also reaches others).
   */
  isGrantActive: (grantId: string, audience: readonly string[]) => Promise<boolean>;
  now?: () => number;
}

const CACHE_SIZE = 10_000;
/** How stale a cached "grant is active" answer may get before the store is asked again. */
const GRANT_RECHECK_MS = 5_000;

interface CachedToken {
  readonly claims: AccessTokenClaims;
  grantCheckedAt: number;
}

export function looksLikeJwt(token: string): boolean {
  return token.startsWith('eyJ') && token.split('.').length === 3;
}

function toClaims(payload: Record<string, unknown>): AccessTokenClaims | undefined {
  const { sub, aud, client_id: clientId, scope, exp, gid } = payload;
  const audience = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : undefined;
  if (
    typeof sub !== 'string' ||
    audience === undefined ||
    !audience.every((entry) => typeof entry === 'string') ||
    typeof clientId !== 'string' ||
    typeof exp !== 'number' ||
    typeof gid !== 'string'
  )
    return undefined;
  return {
    userId: sub,
    audience: audience,
    clientId,
    scopes: new Set(typeof scope === 'string' ? scope.split(' ').filter(Boolean) : []),
    expiresAt: exp,
    grantId: gid,
  };
}

export function createAccessTokenVerifier(
  options: AccessTokenVerifierOptions,
): AccessTokenVerifier {
  const now = options.now ?? Date.now;
  const cache = new GenerationalCache<string, CachedToken>(CACHE_SIZE);
  let keySet: { keys: readonly JWK[]; verify: ReturnType<typeof createLocalJWKSet> } | undefined;

  async function recheckGrant(token: string, entry: CachedToken, at: number) {
    if (!(await options.isGrantActive(entry.claims.grantId, entry.claims.audience))) {
      cache.delete(token);
      return undefined;
    }
    entry.grantCheckedAt = at;
    return entry.claims;
  }

  async function verifyFresh(token: string, at: number): Promise<AccessTokenClaims | undefined> {
    const keys = options.keys();
    if (keySet?.keys !== keys) keySet = { keys, verify: createLocalJWKSet({ keys: [...keys] }) };
    let claims: AccessTokenClaims | undefined;
    try {
      const { payload } = await jwtVerify(token, keySet.verify, {
        issuer: options.issuer,
        typ: 'at+jwt',
        algorithms: ['ES256'],
        currentDate: new Date(at),
      });
      claims = toClaims(payload);
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return undefined;
      throw error;
    }
    if (claims === undefined || !(await options.isGrantActive(claims.grantId, claims.audience)))
      return undefined;
    cache.set(token, { claims, grantCheckedAt: at });
    return claims;
  }

  return {
    verify(token) {
      const at = now();
      const entry = cache.get(token);
      if (entry === undefined) return verifyFresh(token, at);
      if (entry.claims.expiresAt * 1000 <= at) {
        cache.delete(token);
        return undefined;
      }
      if (at - entry.grantCheckedAt < GRANT_RECHECK_MS) return entry.claims;
      return recheckGrant(token, entry, at);
    },
    forgetGrant(grantId) {
      // Rare (a revocation): a walk over at most CACHE_SIZE entries.
      cache.deleteWhere((entry) => entry.claims.grantId === grantId);
    },
  };
}
