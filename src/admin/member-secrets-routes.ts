/**
 * A member's own values of a stdio server's member secrets (`env` entries
 * `{ member_secret: NAME }`): the server runs one process per member, started
 * with that member's values. Each caller reads and writes only their own;
 * values are sealed by the vault at once and never shown again. Setting or
 * removing one restarts only the caller's process of that server.
 */
import { z } from 'zod';
import {
  declaredMemberSecrets,
  MEMBER_SECRET_PURPOSE,
} from '../auth/upstream-credentials/member-secrets.ts';
import { memberSecretName } from '../config/declarative-schema.ts';
import { GatewayError } from '../shared/errors.ts';
import type { ServerDefinition } from '../store/model.ts';
import type { AdminDeps } from './admin-deps.ts';
import type { ApiCaller } from './authenticate-api-caller.ts';
import { defineRoute, invalidInput } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { serverParams } from './servers-routes.ts';
import { accessWorkspace, mayReach, requireThat } from './workspace-access.ts';

/** Generous for tokens and keys (a PEM key fits), small enough to keep out abuse. */
export const MAX_MEMBER_SECRET_BYTES = 16 * 1024;

const memberSecretsView = z.object({
  secrets: z.array(
    z.object({
      name: z.string(),
      description: z.string().nullable(),
      env_names: z.array(z.string()).describe('The variables of the process this value sets.'),
      is_set: z.boolean().describe('Whether you have set your value; values are never shown.'),
      updated_at: z.string().nullable(),
    }),
  ),
});

const secretValue = z
  .string()
  .min(1)
  .refine((value) => Buffer.byteLength(value, 'utf8') <= MAX_MEMBER_SECRET_BYTES, {
    message: `must be at most ${MAX_MEMBER_SECRET_BYTES} bytes`,
  })
  .refine((value) => !value.includes('\0'), {
    message: 'must not contain NUL characters (an environment variable cannot hold them)',
  });

const putBody = z
  .record(memberSecretName, secretValue)
  .refine((values) => Object.keys(values).length > 0, { message: 'must set at least one secret' })
  .describe('Secret name → your value.');

/**
 * The server, when the caller may reach it; writing needs a membership with a
 * role that uses servers (not viewer): values belong to the membership.
 */
async function reachableServer(
  deps: AdminDeps,
  caller: ApiCaller,
  params: { workspaceId: string; serverId: string },
  write: boolean,
): Promise<ServerDefinition> {
  const access = await accessWorkspace(deps.store, caller, params.workspaceId);
  requireThat(access.actor, 'server.read');
  const server = await deps.store.servers.find(access.workspace.id, params.serverId);
  if (server === undefined || !mayReach(access, server.id))
    throw new GatewayError('server_not_found');
  if (write && access.member === undefined)
    throw new GatewayError(
      'forbidden',
      'Member secrets belong to a membership: you are not a member of this workspace.',
    );
  if (write && access.member?.role === 'viewer')
    throw new GatewayError('forbidden', 'Viewers cannot set member secrets.');
  return server;
}

export function createMemberSecretsRoutes(deps: AdminDeps): ApiRoute[] {
  const { store } = deps;
  const changed = async (server: ServerDefinition, userId: string): Promise<void> => {
    await deps.memberProcesses?.restart(`${server.workspaceId}/${server.id}`, userId);
  };
  return [
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/servers/:serverId/member-secrets',
      tag: 'servers',
      summary:
        "The server's member secrets and which of them you have set (your own; values are never shown)",
      params: serverParams,
      response: memberSecretsView,
      async handle({ caller, params }) {
        const server = await reachableServer(deps, caller, params, false);
        const stored = new Map(
          (
            await store.memberSecrets.list({
              workspaceId: server.workspaceId,
              serverId: server.id,
              userId: caller.user.id,
            })
          ).map((secret) => [secret.name, secret.updatedAt]),
        );
        const memberEnv = Object.entries(server.memberEnv ?? {});
        return {
          secrets: [...declaredMemberSecrets(server)].map(([name, description]) => ({
            name,
            description,
            env_names: memberEnv
              .filter(([, entry]) => entry.secret === name)
              .map(([variable]) => variable)
              .sort(),
            is_set: stored.has(name),
            updated_at: stored.get(name)?.toISOString() ?? null,
          })),
        };
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/workspaces/:workspaceId/servers/:serverId/member-secrets',
      tag: 'servers',
      summary:
        'Set your own values of some of the server\'s member secrets (`{ "NAME": "value" }`); names not given keep their values. Restarts your process of this server, nobody else\'s.',
      params: serverParams,
      body: putBody,
      status: 204,
      async handle({ caller, params, body }) {
        const server = await reachableServer(deps, caller, params, true);
        const declared = declaredMemberSecrets(server);
        const unknown = Object.keys(body).filter((name) => !declared.has(name));
        if (unknown.length > 0)
          throw invalidInput(
            unknown.map((name) => ({
              path: `body.${name}`,
              message:
                declared.size === 0
                  ? `server "${server.id}" has no member secrets`
                  : `is not a member secret of server "${server.id}" (it has ${[...declared.keys()].join(', ')})`,
            })),
          );
        const sealed = Object.fromEntries(
          Object.entries(body).map(([name, value]) => [
            name,
            deps.vault.seal(MEMBER_SECRET_PURPOSE, value),
          ]),
        );
        await store.memberSecrets.put(server.workspaceId, server.id, caller.user.id, sealed);
        await changed(server, caller.user.id);
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/workspaces/:workspaceId/servers/:serverId/member-secrets/:name',
      tag: 'servers',
      summary:
        'Remove your own value of one member secret; your process of this server stops, and calls fail until you set it again.',
      params: serverParams.extend({ name: memberSecretName }),
      status: 204,
      async handle({ caller, params }) {
        const server = await reachableServer(deps, caller, params, true);
        const removed = await store.memberSecrets.remove(
          server.workspaceId,
          server.id,
          caller.user.id,
          params.name,
        );
        if (!removed)
          throw new GatewayError('not_found', `You have no value of secret "${params.name}".`);
        await changed(server, caller.user.id);
      },
    }),
  ];
}
