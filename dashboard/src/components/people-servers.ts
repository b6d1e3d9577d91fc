/** The workspace's servers a picker offers (id and name). */
import { api } from '../api/client';
import { useApi } from '../api/use-api';
import type { ServerChoice } from './people-server-access';

export function useServerChoices(workspaceId: string): {
  servers: ServerChoice[];
  error: Error | undefined;
} {
  const loaded = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/servers', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  return {
    servers: (loaded.data ?? []).map((server) => ({ id: server.id, name: server.name })),
    error: loaded.error,
  };
}
