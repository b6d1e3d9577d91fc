/**
 * Which store writes are administrative changes, and how to read the state
 * they change. One entry per write verb; `watchStore` (audited-store.ts)
 * records every call of a listed verb with the state read before and after.
 * A new administrative verb gets one entry here: its routes, the declarative
 * config and anything else writing through a watched store are then audited.
 */
import type { Store } from '../store/store.ts';

type Repositories = Omit<
  Store,
  'dialect' | 'migrate' | 'ping' | 'close' | 'transaction' | 'auditLog'
>;
export type AuditedArea = keyof Repositories;

type Args<A extends AuditedArea, V extends keyof Store[A]> = Store[A][V] extends (
  ...args: infer P
) => Promise<unknown>
  ? P
  : never;
type Result<A extends AuditedArea, V extends keyof Store[A]> = Store[A][V] extends (
  ...args: never[]
) => Promise<infer R>
  ? R
  : never;

export interface AuditedTarget {
  readonly id: string;
  readonly workspaceId: string | null;
}

export interface AuditedWrite<A extends AuditedArea, V extends keyof Store[A] & string, S> {
  readonly area: A;
  readonly verb: V;
  /** `user`, `server`…; the action is `<targetType>.<create|update|delete>` unless `action` says. */
  readonly targetType: string;
  readonly action?: string;
  /** Only matching calls are audited. */
  readonly when?: (args: Args<A, V>) => boolean;
  /** The target's stored state; `result` is undefined before the write. */
  readonly read: (
    store: Store,
    args: Args<A, V>,
    result: Result<A, V> | undefined,
  ) => Promise<S | undefined>;
  /** `state`: after the write, or before it when the write removed the target. */
  readonly target: (args: Args<A, V>, state: S) => AuditedTarget;
}

/** The erased shape audited-store.ts works with. */
export interface AuditedWriteEntry {
  readonly area: string;
  readonly verb: string;
  readonly targetType: string;
  readonly action?: string;
  readonly when?: (args: readonly unknown[]) => boolean;
  readonly read: (store: Store, args: readonly unknown[], result: unknown) => Promise<unknown>;
  readonly target: (args: readonly unknown[], state: unknown) => AuditedTarget;
}

export function auditedWrite<A extends AuditedArea, V extends keyof Store[A] & string, S>(
  write: AuditedWrite<A, V, S>,
): AuditedWriteEntry {
  return write as unknown as AuditedWriteEntry;
}

export const auditedWrites: readonly AuditedWriteEntry[] = [
  auditedWrite({
    area: 'users',
    verb: 'upsert',
    targetType: 'user',
    read: (store, [input]) => store.users.findByEmail(input.email),
    target: (_args, user) => ({ id: user.id, workspaceId: null }),
  }),
  auditedWrite({
    area: 'users',
    verb: 'remove',
    targetType: 'user',
    read: (store, [id]) => store.users.find(id),
    target: ([id]) => ({ id, workspaceId: null }),
  }),
  auditedWrite({
    area: 'workspaces',
    verb: 'upsert',
    targetType: 'workspace',
    read: (store, [input]) => store.workspaces.find(input.id),
    target: ([input]) => ({ id: input.id, workspaceId: input.id }),
  }),
  auditedWrite({
    area: 'workspaces',
    verb: 'remove',
    targetType: 'workspace',
    read: (store, [id]) => store.workspaces.find(id),
    target: ([id]) => ({ id, workspaceId: id }),
  }),
  auditedWrite({
    area: 'members',
    verb: 'upsert',
    targetType: 'member',
    read: (store, [input]) => store.members.find(input.workspaceId, input.userId),
    target: ([input]) => ({ id: input.userId, workspaceId: input.workspaceId }),
  }),
  auditedWrite({
    area: 'members',
    verb: 'remove',
    targetType: 'member',
    read: (store, [workspaceId, userId]) => store.members.find(workspaceId, userId),
    target: ([workspaceId, userId]) => ({ id: userId, workspaceId }),
  }),
  auditedWrite({
    area: 'servers',
    verb: 'upsert',
    targetType: 'server',
    read: (store, [input]) => store.servers.find(input.workspaceId, input.id),
    target: ([input]) => ({ id: input.id, workspaceId: input.workspaceId }),
  }),
  auditedWrite({
    area: 'servers',
    verb: 'remove',
    targetType: 'server',
    read: (store, [workspaceId, serverId]) => store.servers.find(workspaceId, serverId),
    target: ([workspaceId, serverId]) => ({ id: serverId, workspaceId }),
  }),
  auditedWrite({
    area: 'apiKeys',
    verb: 'upsert',
    targetType: 'api_key',
    read: async (store, [input]) =>
      (await store.apiKeys.list(input.workspaceId)).find((key) => key.name === input.name),
    target: ([input], key) => ({ id: key.id, workspaceId: input.workspaceId }),
  }),
  auditedWrite({
    area: 'apiKeys',
    verb: 'revoke',
    targetType: 'api_key',
    action: 'api_key.revoke',
    read: (store, [id]) => store.apiKeys.find(id),
    target: ([id], key) => ({ id, workspaceId: key.workspaceId }),
  }),
  auditedWrite({
    area: 'invitations',
    verb: 'create',
    targetType: 'invitation',
    read: async (store, _args, created) =>
      created === undefined ? undefined : store.invitations.find(created.id),
    target: ([input], invitation) => ({ id: invitation.id, workspaceId: input.workspaceId }),
  }),
  auditedWrite({
    area: 'invitations',
    verb: 'revoke',
    targetType: 'invitation',
    action: 'invitation.revoke',
    read: (store, [id]) => store.invitations.find(id),
    target: ([id], invitation) => ({ id, workspaceId: invitation.workspaceId }),
  }),
  auditedWrite({
    area: 'invitations',
    verb: 'accept',
    targetType: 'invitation',
    action: 'invitation.accept',
    read: (store, [id]) => store.invitations.find(id),
    target: ([id], invitation) => ({ id, workspaceId: invitation.workspaceId }),
  }),
  auditedWrite({
    area: 'usageLimits',
    verb: 'upsert',
    targetType: 'usage_limit',
    read: (store, [input]) => store.usageLimits.find(input.workspaceId, input.name),
    target: ([input]) => ({
      id: `${input.workspaceId}/${input.name}`,
      workspaceId: input.workspaceId,
    }),
  }),
  auditedWrite({
    area: 'usageLimits',
    verb: 'remove',
    targetType: 'usage_limit',
    read: (store, [workspaceId, name]) => store.usageLimits.find(workspaceId, name),
    target: ([workspaceId, name]) => ({ id: `${workspaceId}/${name}`, workspaceId }),
  }),
  // Each save appends a version: before is the newest version until then.
  auditedWrite({
    area: 'serverPolicies',
    verb: 'save',
    targetType: 'server_policy',
    read: (store, [input]) => store.serverPolicies.current(input.workspaceId, input.serverId),
    target: ([input]) => ({ id: input.serverId, workspaceId: input.workspaceId }),
  }),
  // Pins change by observation on the data path too; only an admin's verdicts are changes.
  auditedWrite({
    area: 'toolPins',
    verb: 'approve',
    targetType: 'tool_pin',
    action: 'tool_pin.approve',
    read: (store, [workspaceId, serverId, tool]) =>
      store.toolPins.find(workspaceId, serverId, tool),
    target: ([workspaceId, serverId, tool]) => ({ id: `${serverId}/${tool}`, workspaceId }),
  }),
  auditedWrite({
    area: 'toolPins',
    verb: 'block',
    targetType: 'tool_pin',
    action: 'tool_pin.block',
    read: (store, [workspaceId, serverId, tool]) =>
      store.toolPins.find(workspaceId, serverId, tool),
    target: ([workspaceId, serverId, tool]) => ({ id: `${serverId}/${tool}`, workspaceId }),
  }),
  // Connections are saved again by token refreshes too, through unwatched stores (data path).
  auditedWrite({
    area: 'upstreamConnections',
    verb: 'save',
    targetType: 'connection',
    read: (store, [input]) =>
      store.upstreamConnections.find(input.workspaceId, input.serverId, input.ownerId),
    target: ([input]) => ({
      id: `${input.serverId}/${input.ownerId}`,
      workspaceId: input.workspaceId,
    }),
  }),
  auditedWrite({
    area: 'upstreamConnections',
    verb: 'remove',
    targetType: 'connection',
    read: (store, [workspaceId, serverId, ownerId]) =>
      store.upstreamConnections.find(workspaceId, serverId, ownerId),
    target: ([workspaceId, serverId, ownerId]) => ({ id: `${serverId}/${ownerId}`, workspaceId }),
  }),
  // An authorized app is a Grant: revoking it destroys the Grant (its tokens go with it).
  auditedWrite({
    area: 'oauthArtefacts',
    verb: 'destroy',
    targetType: 'grant',
    action: 'authorized_app.revoke',
    when: ([model]) => model === 'Grant',
    read: (store, [model, id]) => store.oauthArtefacts.find(model, id),
    target: ([, id]) => ({ id, workspaceId: null }),
  }),
  // Policy (POLICY): documents and tool approvals; `toolPins.observe` is the gateway's own note, not a change.
  auditedWrite({
    area: 'serverPolicies',
    verb: 'save',
    targetType: 'server_policy',
    action: 'policy.update',
    read: (store, [input]) => store.serverPolicies.current(input.workspaceId, input.serverId),
    target: ([input]) => ({
      id: `${input.workspaceId}/${input.serverId}`,
      workspaceId: input.workspaceId,
    }),
  }),
  auditedWrite({
    area: 'toolPins',
    verb: 'approve',
    targetType: 'tool_pin',
    action: 'tool_pin.approve',
    read: (store, [workspaceId, serverId, tool]) =>
      store.toolPins.find(workspaceId, serverId, tool),
    target: ([workspaceId, serverId, tool]) => ({
      id: `${workspaceId}/${serverId}/${tool}`,
      workspaceId,
    }),
  }),
  auditedWrite({
    area: 'toolPins',
    verb: 'block',
    targetType: 'tool_pin',
    action: 'tool_pin.quarantine',
    read: (store, [workspaceId, serverId, tool]) =>
      store.toolPins.find(workspaceId, serverId, tool),
    target: ([workspaceId, serverId, tool]) => ({
      id: `${workspaceId}/${serverId}/${tool}`,
      workspaceId,
    }),
  }),
];
