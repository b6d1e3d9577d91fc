/**
 * The gateway as an OAuth protected resource (RFC 9728): every MCP endpoint
 * `<public URL>/<ws>/<srv>/mcp` is one resource, described at
 * `<public URL>/.well-known/oauth-protected-resource/<ws>/<srv>/mcp`, whose
 * `resource` is the endpoint URL byte for byte and whose authorization
 * server is the gateway itself (issuer = public URL).
 */
import type { RouteModule } from '../../ingress/create-app.ts';

/** The one scope that lets a token call an MCP endpoint. */
export const MCP_SCOPE = 'mcp';

const SLUG = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export function resourceUrl(
  publicUrl: string,
  target: { workspaceId: string; serverId: string },
): string {
  return `${publicUrl}/${target.workspaceId}/${target.serverId}/mcp`;
}

export function resourceMetadataUrl(
  publicUrl: string,
  target: { workspaceId: string; serverId: string },
): string {
  return `${publicUrl}/.well-known/oauth-protected-resource/${target.workspaceId}/${target.serverId}/mcp`;
}

/**
 * `WWW-Authenticate` for a 401 or 403 (RFC 6750 §3, RFC 9728 §5.1). Path
 * segments that cannot be ids never reach the header (no quoting games).
 * `offline_access` stays out of the challenge's scope (SEP-2207).
 */
export function bearerChallenge(
  publicUrl: string,
  target: { workspaceId: string; serverId: string },
  error?: { code: string; description: string },
): string {
  const params: string[] = [];
  if (error !== undefined)
    params.push(`error="${error.code}"`, `error_description="${error.description}"`);
  if (SLUG.test(target.workspaceId) && SLUG.test(target.serverId))
    params.push(`resource_metadata="${resourceMetadataUrl(publicUrl, target)}"`);
  params.push(`scope="${MCP_SCOPE}"`);
  return `Bearer ${params.join(', ')}`;
}

/**
 * Serves the metadata for any well-formed endpoint path, existing or not, so
 * the document tells nobody which servers exist; a token for a server that
 * does not exist is refused by the authorization server (invalid_target).
 * No root document: it would describe a different resource (RFC 9728 §3.3).
 */
export function protectedResourceRoutes(publicUrl: string): RouteModule {
  return (app) => {
    app.route({
      method: ['GET', 'OPTIONS'],
      url: '/.well-known/oauth-protected-resource/:workspaceId/:serverId/mcp',
      handler: async (request, reply) => {
        const target = request.params as { workspaceId: string; serverId: string };
        reply.header('access-control-allow-origin', '*');
        if (request.method === 'OPTIONS') {
          reply.header('access-control-allow-methods', 'GET, OPTIONS');
          reply.header(
            'access-control-allow-headers',
            request.headers['access-control-request-headers'] ?? 'mcp-protocol-version',
          );
          return reply.code(204).send();
        }
        if (!SLUG.test(target.workspaceId) || !SLUG.test(target.serverId))
          return reply.code(404).send({ error: 'not_found', message: 'No such resource.' });
        reply.header('cache-control', 'public, max-age=3600');
        return reply.send({
          resource: resourceUrl(publicUrl, target),
          authorization_servers: [publicUrl],
          scopes_supported: [MCP_SCOPE],
          bearer_methods_supported: ['header'],
        });
      },
    });
  };
}
