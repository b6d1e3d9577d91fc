/**
 * Resource-server authentication of one MCP request: the bearer credential
 * must be valid, unexpired, unrevoked, and scoped to this workspace and
 * server. Failures never say which check failed beyond what the caller
 * needs to fix it.
 */
import { GatewayError } from '../../shared/errors.ts';
import type { ServerDefinition } from '../../store/model.ts';
import type { ApiKeyIndex } from './api-keys.ts';
import type { Principal } from './principal.ts';

function challenge(error: string, description: string): Record<string, string> {
  return { 'www-authenticate': `Bearer error="${error}", error_description="${description}"` };
}

export function authenticate(
  authorization: string | undefined,
  server: ServerDefinition,
  apiKeys: ApiKeyIndex,
  now = new Date(),
): Principal {
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
  if (
    key.workspaceId !== server.workspaceId ||
    (key.serverIds !== null && !key.serverIds.includes(server.id))
  ) {
    throw new GatewayError('forbidden', 'These credentials do not grant access to this server.', {
      headers: challenge('insufficient_scope', 'The token does not grant access to this server'),
    });
  }
  return {
    kind: 'api_key',
    id: `key:${key.id}`,
    userId: key.userId,
    workspaceId: key.workspaceId,
    apiKeyId: key.id,
  };
}
