/**
 * Resource-server authentication of one MCP request, in two steps:
 * `authenticate` checks the bearer credential alone (valid, unexpired,
 * unrevoked) before the route is even looked at, so nobody without
 * credentials learns which workspaces or servers exist; `authorize` then
 * checks that it is scoped to the addressed server. Failures never say which
 * check failed beyond what the caller needs to fix it.
 */
import { GatewayError } from '../../shared/errors.ts';
import type { ServerDefinition } from '../../store/model.ts';
import type { ApiKeyIndex } from './api-keys.ts';
import type { Principal } from './principal.ts';

function challenge(error: string, description: string): Record<string, string> {
  return { 'www-authenticate': `Bearer error="${error}", error_description="${description}"` };
}

export interface Credential {
  readonly principal: Principal;
  /** Servers of the principal's workspace it may reach; null for all. */
  readonly serverIds: readonly string[] | null;
}

export function authenticate(
  authorization: string | undefined,
  apiKeys: ApiKeyIndex,
  now = new Date(),
): Credential {
  if (authorization === undefined || authorization === '') {
    throw new GatewayError(
      'unauthorized',
      'Missing credentials: send Authorization: Bearer <API key>.',
      { headers: { 'www-authenticate': 'Bearer' } },
    );
  }
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(authorization);
  if (match?.[1] === undefined) {
    throw new GatewayError(
      'unauthorized',
      'Malformed Authorization header: expected "Bearer <token>".',
      { headers: challenge('invalid_request', 'Malformed Authorization header') },
    );
  }
  const key = apiKeys.findByKey(match[1]);
  const invalid = (): GatewayError =>
    new GatewayError('unauthorized', 'Invalid, expired or revoked credentials.', {
      headers: challenge('invalid_token', 'The access token is invalid, expired or revoked'),
    });
  if (key === undefined) throw invalid();
  if (key.revokedAt !== null && key.revokedAt <= now) throw invalid();
  if (key.expiresAt !== null && key.expiresAt <= now) throw invalid();
  return {
    principal: {
      kind: 'api_key',
      id: `key:${key.id}`,
      userId: key.userId,
      workspaceId: key.workspaceId,
      apiKeyId: key.id,
    },
    serverIds: key.serverIds,
  };
}

export function authorize(credential: Credential, server: ServerDefinition): void {
  const { principal, serverIds } = credential;
  if (
    principal.workspaceId !== server.workspaceId ||
    (serverIds !== null && !serverIds.includes(server.id))
  ) {
    throw new GatewayError('forbidden', 'These credentials do not grant access to this server.', {
      headers: challenge('insufficient_scope', 'The token does not grant access to this server'),
    });
  }
}
