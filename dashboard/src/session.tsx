/**
 * Who is signed in, where they belong, and the workspace on screen. A 401
 * sends the browser to the gateway's sign-in page, which comes back here.
 */
import { createContext, useContext } from 'react';
import type { ApiResult } from './api/client';

export type Me = ApiResult<'/api/v1/me', 'get'>;
export type Membership = Me['memberships'][number];
export type Role = Membership['role'];

export interface Session {
  me: Me;
  /** The workspace in the URL, when the caller belongs to it (or administers the instance). */
  workspaceId: string | undefined;
  membership: Membership | undefined;
  /** Admins and owners manage servers, members, policy; instance admins everything. */
  canManage: boolean;
  reloadMe: () => void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === undefined) throw new Error('useSession outside SessionContext');
  return session;
}

/** The workspace of the current route; views under /w/:workspace only. */
export function useWorkspaceId(): string {
  const { workspaceId } = useSession();
  if (workspaceId === undefined) throw new Error('useWorkspaceId outside a workspace route');
  return workspaceId;
}

export function signInUrl(location: { pathname: string; search: string }): string {
  return `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
}
