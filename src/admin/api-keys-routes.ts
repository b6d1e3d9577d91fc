/**
 * API keys: `pcl_` + 32 random bytes (base64url), the format the declarative
 * config uses. The key is shown once; the store keeps its SHA-256 and a short
 * prefix. Members manage their own keys, admins every key of the workspace.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { apiKeyPrefix, hashApiKey } from '../shared/api-key-hash.ts';
import { GatewayError } from '../shared/errors.ts';
import type { AdminDeps } from './admin-deps.ts';
import { defineRoute, invalidInput } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { apiKeyView, serverAccessSchema, showApiKey } from './api-views.ts';
import { can } from './roles.ts';
import { accessWorkspace, mayReach, requireThat } from './workspace-access.ts';
import type { WorkspaceAccess } from './workspace-access.ts';
import { workspaceParams } from './workspaces-routes.ts';

export function generateApiKey(): string {
  return `pcl_${randomBytes(32).toString('base64url')}`;
}

/** Servers a new key may name: those the caller reaches; others look unknown. */
async function checkReachableServers(
  deps: AdminDeps,
  access: WorkspaceAccess,
  serverIds: readonly string[],
): Promise<void> {
  const reachable = new Set(
    (await deps.store.servers.list(access.workspace.id))
      .filter((server) => mayReach(access, server.id))
      .map((server) => server.id),
  );
  const issues = serverIds.flatMap((id, index) =>
    reachable.has(id)
      ? []
      : [{ path: `body.servers.${index}`, message: `No server "${id}" you may reach here` }],
  );
  if (issues.length > 0) throw invalidInput(issues);
}

export function createApiKeysRoutes(deps: AdminDeps): ApiRoute[] {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  return [
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/api-keys',
      tag: 'api-keys',
      summary: "Your API keys in the workspace (every member's for admins and owners)",
      params: workspaceParams,
      response: z.array(apiKeyView),
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'api_key.manage', { isOwn: true });
        const all = can(access.actor, 'api_key.manage', { isOwn: false });
        return (await store.apiKeys.list(access.workspace.id))
          .filter((key) => all || key.userId === caller.user.id)
          .map(showApiKey);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/workspaces/:workspaceId/api-keys',
      tag: 'api-keys',
      summary:
        'Create an API key for yourself; the answer carries the key, once. Called with an API key, the new key reaches no more servers and expires no later than that key (by default, when it does).',
      params: workspaceParams,
      body: z.strictObject({
        name: z.string().trim().min(1).max(100),
        servers: z
          .array(z.string().min(1).max(200))
          .max(1000)
          .nullable()
          .optional()
          .describe(
            `${serverAccessSchema.description ?? ''} Omitted: the servers you may reach now.`,
          ),
        expiresAt: z.iso.datetime({ offset: true }).optional(),
      }),
      status: 201,
      response: apiKeyView.extend({
        key: z.string().describe('The API key; shown only in this answer.'),
      }),
      async handle({ caller, params, body }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'api_key.manage', { isOwn: true });
        // A key mints no key that outlives it, as it mints none reaching more servers (below).
        const ceiling = caller.via === 'api_key' ? caller.apiKey.expiresAt : null;
        const expiresAt = body.expiresAt === undefined ? ceiling : new Date(body.expiresAt);
        if (expiresAt !== null && expiresAt <= now())
          throw invalidInput([{ path: 'body.expiresAt', message: 'must be in the future' }]);
        if (ceiling !== null && expiresAt !== null && expiresAt > ceiling)
          throw invalidInput([
            {
              path: 'body.expiresAt',
              message: `must not be later than the expiry of the API key you call with (${ceiling.toISOString()})`,
            },
          ]);
        const requested = body.servers ?? (body.servers === null ? null : access.serverIds);
        if (requested === null && access.serverIds !== null)
          throw invalidInput([
            {
              path: 'body.servers',
              message: 'your access is limited to some servers: list them',
            },
          ]);
        if (requested !== null) await checkReachableServers(deps, access, requested);
        const key = generateApiKey();
        const created = await store.transaction(async (tx) => {
          const taken = (await tx.apiKeys.list(access.workspace.id)).some(
            (existing) => existing.name === body.name,
          );
          if (taken)
            throw new GatewayError(
              'conflict',
              `An API key named "${body.name}" already exists in this workspace.`,
            );
          return tx.apiKeys.upsert({
            name: body.name,
            userId: caller.user.id,
            workspaceId: access.workspace.id,
            keyHash: hashApiKey(key),
            prefix: apiKeyPrefix(key),
            serverIds: requested === null ? null : [...requested],
            expiresAt,
          });
        });
        await deps.onCredentialsChanged();
        return { ...showApiKey(created), key };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/workspaces/:workspaceId/api-keys/:apiKeyId',
      tag: 'api-keys',
      summary: 'Revoke an API key (your own, or any for admins and owners)',
      params: z.strictObject({
        workspaceId: z.string().min(1).max(200),
        apiKeyId: z.string().min(1).max(200),
      }),
      status: 204,
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        const key = await store.apiKeys.find(params.apiKeyId);
        const isOwn = key?.userId === caller.user.id;
        // Members cannot tell others' keys from unknown ones.
        if (
          key === undefined ||
          key.workspaceId !== access.workspace.id ||
          !can(access.actor, 'api_key.manage', { isOwn })
        )
          throw new GatewayError('not_found', 'No such API key.');
        await store.apiKeys.revoke(key.id, now());
        await deps.onCredentialsChanged();
      },
    }),
  ];
}
