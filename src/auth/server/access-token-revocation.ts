/**
 * Revocation (RFC 7009) of the gateway's JWT access tokens. They are not
 * stored, so oidc-provider refuses them (`unsupported_token_type`);
 * revoking one here revokes its whole grant (claim `gid`), which the
 * resource server learns through `onGrantRevoked`.
 *
 * The caller authenticates with the method its client registered; a
 * token of another client is ignored with 200, as RFC 7009 §2.2 allows.
 */
import crypto from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { JWK } from 'jose';
import type { Client } from 'oidc-provider';

export interface RevocationRequest {
  authorization: string | undefined;
  form: URLSearchParams;
}

export interface RevocationAnswer {
  status: number;
  body: Record<string, string> | undefined;
}

export interface AccessTokenRevocation {
  /** Answers the request when it revokes one of our JWT access tokens; undefined hands it to oidc-provider. */
  handle(request: RevocationRequest): Promise<RevocationAnswer | undefined>;
}

function safeEqual(a: string, b: string): boolean {
  const left = crypto.hash('sha256', a, 'buffer');
  const right = crypto.hash('sha256', b, 'buffer');
  return crypto.timingSafeEqual(left, right);
}

function credentials(request: RevocationRequest): {
  clientId?: string;
  secret?: string;
  basic: boolean;
} {
  const header = request.authorization;
  if (header !== undefined && /^basic /i.test(header)) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) return { basic: true };
    try {
      // RFC 6749 §2.3.1: both parts are form-urlencoded inside Basic.
      return {
        clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
        secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
        basic: true,
      };
    } catch {
      return { basic: true };
    }
  }
  return {
    clientId: request.form.get('client_id') ?? undefined,
    secret: request.form.get('client_secret') ?? undefined,
    basic: false,
  };
}

function authenticates(client: Client, given: ReturnType<typeof credentials>): boolean {
  switch (client.clientAuthMethod) {
    case 'none':
      return given.secret === undefined && !given.basic;
    case 'client_secret_basic':
      return (
        given.basic &&
        given.secret !== undefined &&
        safeEqual(given.secret, client.clientSecret ?? '')
      );
    case 'client_secret_post':
      return (
        !given.basic &&
        given.secret !== undefined &&
        safeEqual(given.secret, client.clientSecret ?? '')
      );
    default:
      return false;
  }
}

const INVALID_CLIENT: RevocationAnswer = {
  status: 401,
  body: { error: 'invalid_client', error_description: 'client authentication failed' },
};

export function createAccessTokenRevocation(deps: {
  issuer: string;
  verificationKeys: readonly JWK[];
  findClient(clientId: string): Promise<Client | undefined>;
  revokeGrant(grantId: string): Promise<void>;
}): AccessTokenRevocation {
  const keySet = createLocalJWKSet({ keys: [...deps.verificationKeys] });
  return {
    async handle(request) {
      const token = request.form.get('token');
      if (token === null || token.split('.').length !== 3) return undefined;
      // Expired tokens may be revoked too: their grant may still hold a refresh token.
      const verified = await jwtVerify(token, keySet, {
        issuer: deps.issuer,
        typ: 'at+jwt',
        currentDate: new Date(0),
      }).catch(() => undefined);
      if (verified === undefined) return undefined;
      const given = credentials(request);
      if (given.clientId === undefined) return INVALID_CLIENT;
      const client = await deps.findClient(given.clientId);
      if (client === undefined || !authenticates(client, given)) return INVALID_CLIENT;
      const { payload } = verified;
      if (payload.client_id === client.clientId && typeof payload.gid === 'string') {
        await deps.revokeGrant(payload.gid);
      }
      return { status: 200, body: undefined };
    },
  };
}
