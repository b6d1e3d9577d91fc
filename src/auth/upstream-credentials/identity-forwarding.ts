/**
 * Identity forwarding (`upstream_auth.forward_identity`): every request to the
 * upstream carries `X-Portcullis-Identity`, a short-lived JWT naming the
 * caller, signed ES256 with the authorization server's current key, so the
 * upstream verifies it against `<issuer>/jwks` like any token of ours.
 *
 * The token is made once per (user, server) and reused for half its life:
 * signing and the user lookup stay off the hot path.
 */
import crypto from 'node:crypto';
import { SignJWT, importJWK } from 'jose';
import type { JWK } from 'jose';
import type { Principal } from '../resource/principal.ts';
import type { ServerDefinition } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';
import { IDENTITY_HEADER } from '../../upstream/upstream.ts';
import type { Upstream, UpstreamCall } from '../../upstream/upstream.ts';

export const IDENTITY_TOKEN_TYPE = 'portcullis-identity+jwt';
const LIFETIME_SECONDS = 60;
const REUSE_MS = 30_000;
const MAX_CACHED = 10_000;

export interface IdentityForwardingDeps {
  /** The gateway's public URL: the issuer of its tokens and of these. */
  readonly issuer: string;
  /** The authorization server's active private signing JWK (with `kid`). */
  readonly signingKey: JWK;
  readonly users: Pick<Store['users'], 'find'>;
  readonly now?: () => number;
}

export interface IdentityForwarding {
  /**
   * `upstream` itself when `server` does not forward identity; otherwise a
   * view of it whose every call carries the principal's identity header.
   */
  upstreamFor(upstream: Upstream, server: ServerDefinition, principal: Principal): Upstream;
  /** The identity token for one call (exposed for tests and the legacy GET). */
  token(server: ServerDefinition, principal: Principal): Promise<string>;
}

export function createIdentityForwarding(deps: IdentityForwardingDeps): IdentityForwarding {
  const now = deps.now ?? Date.now;
  const kid = deps.signingKey.kid;
  if (kid === undefined) throw new Error('the identity signing key has no kid');
  let key: ReturnType<typeof importJWK> | undefined;
  const privateKey = () => (key ??= importJWK(deps.signingKey, 'ES256'));
  const cache = new Map<string, { token: Promise<string>; until: number }>();

  const sign = async (server: ServerDefinition, principal: Principal): Promise<string> => {
    const user = await deps.users.find(principal.userId);
    const issuedAt = Math.floor(now() / 1000);
    return new SignJWT({
      email: user?.email ?? null,
      name: user?.name ?? null,
      workspace: server.workspaceId,
      server: server.id,
    })
      .setProtectedHeader({ alg: 'ES256', typ: IDENTITY_TOKEN_TYPE, kid })
      .setIssuer(deps.issuer)
      .setAudience(server.url ?? `${server.workspaceId}/${server.id}`)
      .setSubject(principal.userId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + LIFETIME_SECONDS)
      .setJti(crypto.randomUUID())
      .sign(await privateKey());
  };

  const evict = (at: number): void => {
    for (const [cacheKey, entry] of cache) if (entry.until <= at) cache.delete(cacheKey);
    // Still full of live entries: drop the oldest (Map keeps insertion order).
    for (const cacheKey of cache.keys()) {
      if (cache.size < MAX_CACHED) break;
      cache.delete(cacheKey);
    }
  };

  const token = (server: ServerDefinition, principal: Principal): Promise<string> => {
    const cacheKey = `${principal.userId}\n${server.workspaceId}/${server.id}\n${server.url ?? ''}`;
    const at = now();
    const cached = cache.get(cacheKey);
    if (cached !== undefined && cached.until > at) return cached.token;
    if (cache.size >= MAX_CACHED) evict(at);
    const made = sign(server, principal);
    cache.set(cacheKey, { token: made, until: at + REUSE_MS });
    // A failed signature or lookup is not remembered.
    made.catch(() => {
      if (cache.get(cacheKey)?.token === made) cache.delete(cacheKey);
    });
    return made;
  };

  return {
    token,
    upstreamFor(upstream, server, principal) {
      if (!server.upstreamAuth.forwardIdentity || server.transport === 'stdio') return upstream;
      const withIdentity = async (call: UpstreamCall): Promise<UpstreamCall> => ({
        ...call,
        headers: { ...call.headers, [IDENTITY_HEADER]: await token(server, principal) },
      });
      return {
        serverKey: upstream.serverKey,
        ...(upstream.fixedEra === undefined ? {} : { fixedEra: upstream.fixedEra }),
        post: async (message, call) => upstream.post(message, await withIdentity(call)),
        listen: async (call) => upstream.listen(await withIdentity(call)),
        // Ending a session is best effort: without a token it still goes out.
        terminate: async (call) => upstream.terminate(await withIdentity(call).catch(() => call)),
        forward: async (body, call) => upstream.forward(body, await withIdentity(call)),
        close: () => upstream.close(),
      };
    },
  };
}
