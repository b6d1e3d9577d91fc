/**
 * The route table: `/<workspace>/<server>/mcp` → server definition, held in
 * memory so the hot path never waits on the store. Reloaded whole from the
 * store whenever configuration changes.
 */
import type { ServerDefinition, Workspace } from '../store/model.ts';
import type { Store } from '../store/store.ts';

export interface RouteTable {
  reload(store: Store): Promise<void>;
  workspace(id: string): Workspace | undefined;
  server(workspaceId: string, serverId: string): ServerDefinition | undefined;
  servers(): ServerDefinition[];
}

export function createRouteTable(): RouteTable {
  let workspaces = new Map<string, Workspace>();
  let servers = new Map<string, ServerDefinition>();
  return {
    async reload(store) {
      const [allWorkspaces, allServers] = await Promise.all([
        store.workspaces.list(),
        store.servers.list(),
      ]);
      workspaces = new Map(allWorkspaces.map((ws) => [ws.id, ws]));
      servers = new Map(allServers.map((server) => [`${server.workspaceId}/${server.id}`, server]));
    },
    workspace: (id) => workspaces.get(id),
    server: (workspaceId, serverId) => servers.get(`${workspaceId}/${serverId}`),
    servers: () => [...servers.values()],
  };
}
