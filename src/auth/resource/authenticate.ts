/**
 * Resource-server authentication of one MCP request, in two steps:
 * `authenticate` checks the bearer credential alone (valid, unexpired,
 * unrevoked) before the route is even looked at, so nobody without
 * credentials learns which workspaces or servers exist; `authorize` then
 * checks that it is good for the addressed server: the API key's workspace
 * and server subset, or the access token's audience (RFC 8707) and scope,
 * and in both cases that the user is still a member who may reach it.
 *
 * Both return synchronously when everything they need is cached (the usual
 * case) and a promise otherwise, so the hot path costs no extra microtask.
 */
import { GatewayError } from '../../shared/errors.ts';
import type { ServerDefinition } from '../../store/model.ts';
import type { AccessTokenClaims, AccessTokenVerifier } from './access-tokens.ts';
import { looksLikeJwt } from './access-tokens.ts';
import type { ApiKeyIndex } from './api-keys.ts';
import { canReach } from './member-access.ts';
import type { MemberAccess } from './member-access.ts';
import type { Principal } from './principal.ts';
import { MCP_SCOPE, bearerChallenge, resourceUrl } from './protected-resource.ts';

export interface ResourceServerDeps {
  readonly publicUrl: string;
  readonly apiKeys: ApiKeyIndex;
  readonly tokens: AccessTokenVerifier;
  readonly members: MemberAccess;
}

/** The addressed endpoint, as named in the request path (it may not exist). */
export interface Target {
  readonly workspaceId: string;
  readonly serverId: string;
}

export interface Credential {
  readonly principal: Principal;
  /** API keys: servers of the key's workspace it may reach; null for all. */
  readonly serverIds: readonly string[] | null;
  /** OAuth access tokens: the claims checked against the addressed server. */
  readonly token: AccessTokenClaims | null;
}

const BEARER = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)\s*$/i;

function unauthorized(
  deps: ResourceServerDeps,
  target: Target,
  message: string,
  error?: { code: string; description: string },
): GatewayError {
  return new GatewayError('unauthorized', message, {
    headers: { 'www-authenticate': bearerChallenge(deps.publicUrl, target, error) },
  });
}

function invalidToken(deps: ResourceServerDeps, target: Target, description: string) {
  return unauthorized(deps, target, 'Invalid, expired or revoked credentials.', {
    code: 'invalid_token',
    description,
  });
}

function fromToken(
  deps: ResourceServerDeps,
  target: Target,
  claims: AccessTokenClaims | undefined,
): Credential {
  if (claims === undefined)
    throw invalidToken(deps, target, 'The access token is invalid, expired or revoked');
  return {
    principal: {
      kind: 'user',
      id: `oauth:${claims.userId}:${claims.clientId}`,
      userId: claims.userId,
      workspaceId: null,
      apiKeyId: null,
      clientId: claims.clientId,
    },
    serverIds: null,
    token: claims,
  };
}

export function authenticate(
  authorization: string | undefined,
  deps: ResourceServerDeps,
  target: Target,
  now = new Date(),
): Credential | Promise<Credential> {
  if (authorization === undefined || authorization === '')
    throw unauthorized(
      deps,
      target,
      'Missing credentials: sign in with OAuth or send Authorization: Bearer <API key>.',
    );
  const bearer = BEARER.exec(authorization)?.[1];
  if (bearer === undefined)
    throw unauthorized(deps, target, 'Malformed Authorization header: expected "Bearer <token>".', {
      code: 'invalid_request',
      description: 'Malformed Authorization header',
    });
  if (looksLikeJwt(bearer)) {
    const claims = deps.tokens.verify(bearer);
    return claims instanceof Promise
      ? claims.then((resolved) => fromToken(deps, target, resolved))
      : fromToken(deps, target, claims);
  }
  const key = deps.apiKeys.findByKey(bearer);
  if (
    key === undefined ||
    (key.revokedAt !== null && key.revokedAt <= now) ||
    (key.expiresAt !== null && key.expiresAt <= now)
  )
    throw invalidToken(deps, target, 'The access token is invalid, expired or revoked');
  return {
    principal: {
      kind: 'api_key',
      id: `key:${key.id}`,
      userId: key.userId,
      workspaceId: key.workspaceId,
      apiKeyId: key.id,
      clientId: null,
    },
    serverIds: key.serverIds,
    token: null,
  };
}

function forbidden(): GatewayError {
  return new GatewayError('forbidden', 'These credentials do not grant access to this server.', {
    headers: {
      'www-authenticate':
        'Bearer error="insufficient_scope", error_description="The credentials do not grant access to this server"',
    },
  });
}

export function authorize(
  credential: Credential,
  server: ServerDefinition,
  deps: ResourceServerDeps,
): void | Promise<void> {
  const { principal, serverIds, token } = credential;
  const target = { workspaceId: server.workspaceId, serverId: server.id };
  if (token !== null) {
    // RFC 8707 / MCP authorization: a token is good only at the one resource it was issued for.
    const resource = resourceUrl(deps.publicUrl, target);
    if (token.audience.length !== 1 || token.audience[0] !== resource)
      throw invalidToken(deps, target, 'The access token was issued for another resource');
    if (!token.scopes.has(MCP_SCOPE))
      throw new GatewayError(
        'insufficient_scope',
        `The access token lacks the "${MCP_SCOPE}" scope.`,
        {
          headers: {
            'www-authenticate': bearerChallenge(deps.publicUrl, target, {
              code: 'insufficient_scope',
              description: `The "${MCP_SCOPE}" scope is required`,
            }),
          },
        },
      );
  } else if (
    principal.workspaceId !== server.workspaceId ||
    (serverIds !== null && !serverIds.includes(server.id))
  ) {
    throw forbidden();
  }
  const member = deps.members.find(server.workspaceId, principal.userId);
  if (member instanceof Promise)
    return member.then((found) => {
      if (!canReach(found, server.id)) throw forbidden();
    });
  if (!canReach(member, server.id)) throw forbidden();
}
