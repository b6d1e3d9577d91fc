/**
 * Names for the ids request records and analytics carry: the workspace's
 * servers and its members (user id → email). Any member may read both.
 */
import { useMemo } from 'react';
import { api } from '../api/client';
import { useApi } from '../api/use-api';

export interface Directory {
  servers: { id: string; name: string }[];
  members: { userId: string; email: string }[];
  /** A member's email by user id (undefined for ids no longer members). */
  email: (userId: string | null) => string | undefined;
  error: Error | undefined;
}

export function useDirectory(workspaceId: string): Directory {
  const servers = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/servers', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  const members = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/members', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  return useMemo(() => {
    const emails = new Map((members.data ?? []).map((m) => [m.userId, m.email]));
    return {
      servers: (servers.data ?? []).map((s) => ({ id: s.id, name: s.name })),
      members: (members.data ?? [])
        .map((m) => ({ userId: m.userId, email: m.email }))
        .sort((a, b) => a.email.localeCompare(b.email)),
      email: (userId) => (userId === null ? undefined : emails.get(userId)),
      error: servers.error ?? members.error,
    };
  }, [servers.data, servers.error, members.data, members.error]);
}
