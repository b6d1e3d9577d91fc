/**
 * MCP resource URLs (RFC 8707 resource indicators): exactly
 * `<publicUrl>/<workspace>/<server>/mcp`, compared byte for byte — no
 * trailing slash, no query, no case folding — because the resource server
 * checks `aud` against the same string.
 */
const SEGMENT = /^[A-Za-z0-9._~-]+$/;

export function parseResourceUrl(
  publicUrl: string,
  resource: string,
): { workspaceId: string; serverId: string } | undefined {
  const prefix = `${publicUrl}/`;
  if (!resource.startsWith(prefix) || !resource.endsWith('/mcp')) return undefined;
  const parts = resource.slice(prefix.length, -'/mcp'.length).split('/');
  if (parts.length !== 2) return undefined;
  const [workspaceId, serverId] = parts as [string, string];
  if (!SEGMENT.test(workspaceId) || !SEGMENT.test(serverId)) return undefined;
  return { workspaceId, serverId };
}

export function resourceUrlFor(publicUrl: string, workspaceId: string, serverId: string): string {
  return `${publicUrl}/${workspaceId}/${serverId}/mcp`;
}
