/**
 * Who is calling the admin API: a browser session (dashboard) or an API key
 * (CLI, scripts).
 *
 * A bearer API key is not ambient, so it needs no CSRF defence; a session
 * cookie is, so unsafe methods must echo the session's CSRF token in
 * `X-CSRF-Token` (OWASP double-submit with a server-held token). An API key
 * acts as its user, but only inside its own workspace and never with
 * instance-administrator powers.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { hashApiKey } from '../shared/api-key-hash.ts';
import { GatewayError } from '../shared/errors.ts';
import type { ApiKey, BrowserSession, User } from '../store/model.ts';
import type { Store } from '../store/store.ts';

/** The part of the sign-in module the API needs (`SignIn` in src/auth/sign-in). */
export interface SessionLookup {
  currentSession(
    request: FastifyRequest,
  ): Promise<{ user: User; session: BrowserSession } | undefined>;
}

export type ApiCaller =
  | { readonly via: 'session'; readonly user: User; readonly csrfToken: string }
  | { readonly via: 'api_key'; readonly user: User; readonly apiKey: ApiKey };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function unauthorized(message: string): GatewayError {
  return new GatewayError('unauthorized', message, { headers: { 'www-authenticate': 'Bearer' } });
}

function sameToken(presented: string, expected: string): boolean {
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createApiCallerAuthenticator(deps: {
  store: Store;
  signIn: SessionLookup;
  now?: () => Date;
}): (request: FastifyRequest) => Promise<ApiCaller> {
  const now = deps.now ?? (() => new Date());

  async function byApiKey(authorization: string): Promise<ApiCaller> {
    const match = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(authorization);
    if (match?.[1] === undefined)
      throw unauthorized('Malformed Authorization header: expected "Bearer <API key>".');
    const key = await deps.store.apiKeys.findByHash(hashApiKey(match[1]));
    const at = now();
    if (
      key === undefined ||
      (key.revokedAt !== null && key.revokedAt <= at) ||
      (key.expiresAt !== null && key.expiresAt <= at)
    )
      throw unauthorized('Invalid, expired or revoked API key.');
    const [user, member] = await Promise.all([
      deps.store.users.find(key.userId),
      deps.store.members.find(key.workspaceId, key.userId),
    ]);
    // A key outlives neither its user nor their membership.
    if (user === undefined || member === undefined)
      throw unauthorized('Invalid, expired or revoked API key.');
    return { via: 'api_key', user: { ...user, isAdmin: false }, apiKey: key };
  }

  return async function authenticateApiCaller(request) {
    const authorization = request.headers.authorization;
    if (authorization !== undefined && authorization !== '') return byApiKey(authorization);
    const current = await deps.signIn.currentSession(request);
    if (current === undefined)
      throw unauthorized('Sign in, or send Authorization: Bearer <API key>.');
    if (!SAFE_METHODS.has(request.method)) {
      const header = request.headers['x-csrf-token'];
      if (typeof header !== 'string' || !sameToken(header, current.session.csrfToken))
        throw new GatewayError('csrf_failed');
    }
    return { via: 'session', user: current.user, csrfToken: current.session.csrfToken };
  };
}
