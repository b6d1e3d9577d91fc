/**
 * The workspace's registry of MCP servers. Write bodies are server entries of
 * the config file, validated by the config file's own schema, so both ways of
 * declaring a server accept exactly the same definitions.
 *
 * Definitions that start a command on the gateway host (stdio) are written by
 * instance administrators only; an API key never carries that power. For
 * workspaces declared in the config file the file stays the source of truth:
 * the next `portcullis apply`, or start with a config file, replaces their
 * servers and with them any change made here.
 */
import { z } from 'zod';
import { memberEnvOf } from '../auth/upstream-credentials/member-secrets.ts';
import { serverSchemaWith } from '../config/declarative-schema.ts';
import { GatewayError } from '../shared/errors.ts';
import type { ServerDefinition } from '../store/model.ts';
import type { ServerInput, Store } from '../store/store.ts';
import type { AdminDeps } from './admin-deps.ts';
import type { ApiCaller } from './authenticate-api-caller.ts';
import { defineRoute, invalidInput } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { serverDetailView, showServerDetail } from './api-views.ts';
import { apiEnvEntry, apiServerAuthSchema, sealServerSecrets } from './server-secrets.ts';
import type { SealedSecrets } from './server-secrets.ts';
import { accessWorkspace, mayReach, requireThat } from './workspace-access.ts';
import type { WorkspaceAccess } from './workspace-access.ts';
import { workspaceParams } from './workspaces-routes.ts';

export const serverParams = z.strictObject({
  workspaceId: z.string().min(1).max(200),
  serverId: z.string().min(1).max(200),
});

/**
 * The stored environment holds values, not references (the config file's
 * `value_env` is resolved when applied), and the API has no business reading
 * the gateway's environment: only literal, non-secret values are accepted here.
 * Upstream header values, by contrast, are secrets the caller sends
 * (`{ value }`): they are sealed before they are stored and never shown again.
 * Replacing a stored server, `{ stored: true }` keeps a stored secret
 * (server-secrets.ts).
 */
export const serverBody = serverSchemaWith(apiServerAuthSchema, apiEnvEntry)
  .superRefine((server, ctx) => {
    for (const [name, entry] of Object.entries(server.env))
      if (typeof entry !== 'string' && 'value_env' in entry)
        ctx.addIssue({
          code: 'custom',
          path: ['env', name],
          message:
            'secret references (value_env) are resolved only from the config file; give a literal non-secret value or declare this server in the config file',
        });
  })
  .describe('A server entry of the config file (`workspaces[].servers[]`).');

const CONFIG_NOTE =
  ' In a workspace declared in the config file, the next `portcullis apply` (or start with the file) replaces its servers, undoing this change.';

export type ServerBody = z.infer<typeof serverBody>;

/** A server of the workspace the caller may reach; unknown and unreachable ones are the same 404. */
export async function findReachableServer(
  store: Store,
  caller: ApiCaller,
  params: { workspaceId: string; serverId: string },
): Promise<ServerDefinition> {
  const access = await accessWorkspace(store, caller, params.workspaceId);
  requireThat(access.actor, 'server.read');
  const server = await store.servers.find(access.workspace.id, params.serverId);
  if (server === undefined || !mayReach(access, server.id))
    throw new GatewayError('server_not_found');
  return server;
}

/** `secrets`: the body's secrets as sealServerSecrets stores them. */
export function toInput(
  workspaceId: string,
  server: ServerBody,
  defaultTimeoutMs: number,
  { upstreamAuth, env }: SealedSecrets,
): ServerInput {
  return {
    workspaceId,
    id: server.id,
    name: server.name ?? server.id,
    transport: server.transport,
    url: server.url ?? null,
    command: server.command ?? null,
    args: server.args,
    cwd: server.cwd ?? null,
    env,
    timeoutMs: server.timeout_ms ?? defaultTimeoutMs,
    ...(upstreamAuth === undefined ? {} : { upstreamAuth }),
    memberEnv: memberEnvOf(server.env),
    ...(server.capture === undefined ? {} : { capture: server.capture }),
  };
}

/** Only instance administrators write definitions that run a command on the host. */
export function requireMayWrite(access: WorkspaceAccess, server: ServerBody): void {
  requireThat(access.actor, 'server.manage');
  if (server.transport === 'stdio') requireThat(access.actor, 'server.run_command');
}

/**
 * Lists keep the ids of deleted servers (they match nothing), so a new server
 * reusing an id must not inherit them: it is dropped from members' and API
 * keys' lists, and pending invitations naming it are revoked. Access to the
 * new server is then granted explicitly, like for any other.
 */
async function forgetEarlierAccess(
  tx: Store,
  workspaceId: string,
  serverId: string,
  at: Date,
): Promise<void> {
  const without = (ids: readonly string[]) => ids.filter((id) => id !== serverId);
  for (const member of await tx.members.list(workspaceId))
    if (member.serverIds?.includes(serverId))
      await tx.members.upsert({
        workspaceId,
        userId: member.userId,
        role: member.role,
        serverIds: without(member.serverIds),
      });
  for (const key of await tx.apiKeys.list(workspaceId))
    if (key.serverIds?.includes(serverId))
      await tx.apiKeys.upsert({
        name: key.name,
        userId: key.userId,
        workspaceId: key.workspaceId,
        keyHash: key.keyHash,
        prefix: key.prefix,
        serverIds: without(key.serverIds),
        expiresAt: key.expiresAt,
      });
  for (const invitation of await tx.invitations.list(workspaceId))
    if (
      invitation.acceptedAt === null &&
      invitation.revokedAt === null &&
      invitation.serverIds?.includes(serverId)
    )
      await tx.invitations.revoke(invitation.id, at);
}

export function createServersRoutes(deps: AdminDeps): ApiRoute[] {
  const { store, config } = deps;
  const now = deps.now ?? (() => new Date());
  return [
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/servers/:serverId',
      tag: 'servers',
      summary: 'One server you may reach, with its MCP endpoint and upstream definition',
      params: serverParams,
      response: serverDetailView,
      async handle({ caller, params }) {
        return showServerDetail(await findReachableServer(store, caller, params), config.publicUrl);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/workspaces/:workspaceId/servers',
      tag: 'servers',
      summary:
        'Register a server (admins and owners; stdio servers instance administrators only); its endpoint works at once.' +
        CONFIG_NOTE,
      params: workspaceParams,
      body: serverBody,
      status: 201,
      response: serverDetailView,
      async handle({ caller, params, body }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireMayWrite(access, body);
        const workspaceId = access.workspace.id;
        const server = await store.transaction(async (tx) => {
          if ((await tx.servers.find(workspaceId, body.id)) !== undefined)
            throw new GatewayError('conflict', `Server "${body.id}" already exists.`);
          const secrets = sealServerSecrets(body, deps.vault, undefined);
          await forgetEarlierAccess(tx, workspaceId, body.id, now());
          return tx.servers.upsert(toInput(workspaceId, body, config.upstreamTimeoutMs, secrets));
        });
        await deps.onCredentialsChanged();
        return showServerDetail(server, config.publicUrl);
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/workspaces/:workspaceId/servers/:serverId',
      tag: 'servers',
      summary:
        'Replace a server\'s definition (admins and owners; stdio definitions instance administrators only). Secrets are never shown: `{ "stored": true }` in place of a header value, the client secret or an env value keeps the one stored for this server (not when the URL origin or the client id changed); `{ "value": … }` replaces it; an entry left out is removed.' +
        CONFIG_NOTE,
      params: serverParams,
      body: serverBody,
      response: serverDetailView,
      async handle({ caller, params, body }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireMayWrite(access, body);
        // A server the caller cannot see (member or key scope) is as unknown to writes as to reads.
        if (!mayReach(access, params.serverId)) throw new GatewayError('server_not_found');
        if (body.id !== params.serverId)
          throw invalidInput([
            { path: 'body.id', message: `must be "${params.serverId}", the server in the path` },
          ]);
        const workspaceId = access.workspace.id;
        const server = await store.transaction(async (tx) => {
          const current = await tx.servers.find(workspaceId, body.id);
          if (current === undefined) throw new GatewayError('server_not_found');
          const secrets = sealServerSecrets(body, deps.vault, current);
          return tx.servers.upsert(toInput(workspaceId, body, config.upstreamTimeoutMs, secrets));
        });
        await deps.onCredentialsChanged();
        return showServerDetail(server, config.publicUrl);
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/workspaces/:workspaceId/servers/:serverId',
      tag: 'servers',
      summary:
        'Remove a server (admins and owners); its endpoint answers 404 at once. Access lists naming it are kept and match nothing.' +
        CONFIG_NOTE,
      params: serverParams,
      status: 204,
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'server.manage');
        const server = await store.servers.find(access.workspace.id, params.serverId);
        if (server === undefined || !mayReach(access, server.id))
          throw new GatewayError('server_not_found');
        await store.servers.remove(server.workspaceId, server.id);
        await deps.onCredentialsChanged();
      },
    }),
  ];
}
