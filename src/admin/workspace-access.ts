/**
 * The caller's standing in one workspace. Unknown workspaces and workspaces
 * the caller may not see answer the same 404, so the API never tells
 * outsiders which workspaces exist.
 */
import { GatewayError } from '../shared/errors.ts';
import type { Member, Workspace } from '../store/model.ts';
import type { Store } from '../store/store.ts';
import type { ApiCaller } from './authenticate-api-caller.ts';
import { can } from './roles.ts';
import type { Action, Actor, Target } from './roles.ts';

export interface WorkspaceAccess {
  readonly workspace: Workspace;
  /** The caller's membership; undefined for instance administrators who are not members. */
  readonly member: Member | undefined;
  readonly actor: Actor;
  /** Servers the caller may reach (membership and key combined); null means all. */
  readonly serverIds: readonly string[] | null;
}

/** Servers in both lists; null stands for "every server". */
export function intersectAccess(
  a: readonly string[] | null,
  b: readonly string[] | null,
): readonly string[] | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.filter((id) => b.includes(id));
}

export function instanceActor(caller: ApiCaller): Actor {
  return { isInstanceAdmin: caller.user.isAdmin, role: null };
}

export async function accessWorkspace(
  store: Store,
  caller: ApiCaller,
  workspaceId: string,
): Promise<WorkspaceAccess> {
  const notFound = new GatewayError('workspace_not_found');
  if (caller.via === 'api_key' && caller.apiKey.workspaceId !== workspaceId) throw notFound;
  const [workspace, member] = await Promise.all([
    store.workspaces.find(workspaceId),
    store.members.find(workspaceId, caller.user.id),
  ]);
  if (workspace === undefined || (member === undefined && !caller.user.isAdmin)) throw notFound;
  const memberAccess = member === undefined ? null : member.serverIds;
  return {
    workspace,
    member,
    actor: { isInstanceAdmin: caller.user.isAdmin, role: member?.role ?? null },
    serverIds:
      caller.via === 'api_key'
        ? intersectAccess(memberAccess, caller.apiKey.serverIds)
        : memberAccess,
  };
}

export function requireThat(actor: Actor, action: Action, target?: Target): void {
  if (!can(actor, action, target))
    throw new GatewayError('forbidden', `Your role does not allow ${action}.`);
}

export function mayReach(access: WorkspaceAccess, serverId: string): boolean {
  return access.serverIds === null || access.serverIds.includes(serverId);
}
