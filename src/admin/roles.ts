/**
 * Who may do what through the admin API: one pure decision table.
 *
 * Workspace roles rank owner > admin > member > viewer. Instance
 * administrators (`User.isAdmin`) create workspaces, manage users, and act as
 * owners in every workspace. Rules that need stored state (a workspace keeps
 * at least one owner; a key's servers stay within the member's access) are
 * checked by the routes, not here.
 */
import type { Role } from '../store/model.ts';

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const satisfies readonly Role[];

export type Action =
  /** Instance scope. */
  | 'workspace.create'
  | 'user.manage'
  /** Workspace scope. */
  | 'workspace.read'
  | 'workspace.update'
  | 'workspace.delete'
  | 'server.read'
  /** Register, replace or remove servers that run nothing on the gateway host (http, sse). */
  | 'server.manage'
  /**
   * Write a definition that starts a command on the gateway host (stdio): as
   * good as a shell there, so instance administrators only (DESIGN: server
   * definitions are admins' configuration).
   */
  | 'server.run_command'
  | 'member.read'
  /** Target: the member's role, once for the current role and once for the new one. */
  | 'member.manage'
  /** Target: the role the invitation grants. */
  | 'invitation.manage'
  /** Target: whether the key belongs to the actor. */
  | 'api_key.manage'
  /** Members' OAuth grants reaching the workspace's servers. */
  | 'authorized_app.list'
  /** Withdraw a member's app's access to the workspace's servers. */
  | 'authorized_app.revoke'
  /**
   * Request records and analytics. Target: whether the records are the
   * actor's own (every role reads its own; admins and owners read everyone's,
   * arguments and results included, so members never see each other's calls).
   */
  | 'record.read';

export interface Actor {
  readonly isInstanceAdmin: boolean;
  /** The actor's role in the workspace at hand; null outside one or when not a member. */
  readonly role: Role | null;
}

export interface Target {
  readonly role?: Role;
  readonly isOwn?: boolean;
}

const RANK: Readonly<Record<Role, number>> = { owner: 3, admin: 2, member: 1, viewer: 0 };

/** The actor's effective workspace role: instance administrators act as owners. */
export function effectiveRole(actor: Actor): Role | null {
  return actor.isInstanceAdmin ? 'owner' : actor.role;
}

function atLeast(actor: Actor, role: Role): boolean {
  const own = effectiveRole(actor);
  return own !== null && RANK[own] >= RANK[role];
}

/** Admins manage everyone but owners; only owners touch (or create) owners. */
function mayTouchRole(actor: Actor, role: Role | undefined): boolean {
  if (!atLeast(actor, 'admin')) return false;
  return role !== 'owner' || atLeast(actor, 'owner');
}

export function can(actor: Actor, action: Action, target: Target = {}): boolean {
  switch (action) {
    case 'workspace.create':
    case 'user.manage':
    case 'server.run_command':
      return actor.isInstanceAdmin;
    case 'workspace.read':
    case 'server.read':
    case 'member.read':
      return atLeast(actor, 'viewer');
    case 'workspace.update':
    case 'server.manage':
    case 'authorized_app.list':
    case 'authorized_app.revoke':
      return atLeast(actor, 'admin');
    case 'workspace.delete':
      return atLeast(actor, 'owner');
    case 'member.manage':
    case 'invitation.manage':
      return mayTouchRole(actor, target.role);
    case 'api_key.manage':
      return target.isOwn === true ? atLeast(actor, 'viewer') : atLeast(actor, 'admin');
    case 'record.read':
      return target.isOwn === true ? atLeast(actor, 'viewer') : atLeast(actor, 'admin');
  }
}
