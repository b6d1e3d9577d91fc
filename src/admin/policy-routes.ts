/**
 * A server's policy document (versioned), its tools as the gateway last saw
 * them with their state, and tool pinning (approve, quarantine, diff).
 * Admins and owners only: a policy names what members must not see. Every
 * change is a store write the audit log records (src/audit/audited-writes.ts)
 * and reaches connected clients as list_changed.
 */
import { z } from 'zod';
import { ruleOf, toolState } from '../policy/policy-view.ts';
import type { PinState } from '../policy/policy-view.ts';
import { OPEN_POLICY, serverPolicySchema } from '../policy/server-policy-schema.ts';
import type { ServerPolicy } from '../policy/server-policy-schema.ts';
import { diffDefinitions } from '../policy/tool-pinning.ts';
import { GatewayError } from '../shared/errors.ts';
import type { ServerDefinition, ServerPolicyRecord, ToolPin } from '../store/model.ts';
import type { ServerPolicyInput, Store } from '../store/store.ts';
import { StoreError } from '../store/store-error.ts';
import type { AdminDeps } from './admin-deps.ts';
import type { ApiCaller } from './authenticate-api-caller.ts';
import { defineRoute, invalidInput } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { findReachableServer, serverParams } from './servers-routes.ts';
import { accessWorkspace, requireThat } from './workspace-access.ts';

const policyView = z.object({
  version: z.number().int().describe('0 while the server has no policy (everything visible).'),
  document: z.record(z.string(), z.unknown()),
  updated_by: z.string().nullable(),
  updated_at: z.string().nullable(),
});

const toolView = z.object({
  tool: z.string().describe("The tool's name at the upstream."),
  shown_as: z.string().describe('The name members see (after a rename).'),
  state: z.enum(['visible', 'disabled', 'pending', 'quarantined']),
  changed: z.boolean().describe('The last seen definition differs from the approved one.'),
  blocked: z.boolean(),
  seen_at: z.string().nullable(),
  approved_at: z.string().nullable(),
  approved_by: z.string().nullable(),
  definition: z.record(z.string(), z.unknown()).nullable(),
});

const toolParams = serverParams.extend({ tool: z.string().min(1).max(200) });

const diffView = z.object({
  tool: z.string(),
  approved: z.record(z.string(), z.unknown()).nullable(),
  seen: z.record(z.string(), z.unknown()).nullable(),
  changes: z.array(z.object({ path: z.string(), before: z.unknown(), after: z.unknown() })),
});

function showPolicy(record: ServerPolicyRecord | undefined, policy: ServerPolicy) {
  return {
    version: record?.version ?? 0,
    document: policy as unknown as Record<string, unknown>,
    updated_by: record?.updatedBy ?? null,
    updated_at: record?.updatedAt.toISOString() ?? null,
  };
}

function parseStored(record: ServerPolicyRecord | undefined): ServerPolicy {
  if (record === undefined) return OPEN_POLICY;
  const parsed = serverPolicySchema.safeParse(record.document);
  return parsed.success ? parsed.data : serverPolicySchema.parse({ mode: 'allowlist' });
}

function pinStateOf(pin: ToolPin): PinState {
  return { approvedHash: pin.approvedHash, seenHash: pin.seenHash, blocked: pin.blocked };
}

function showTool(policy: ServerPolicy, pin: ToolPin) {
  // Pins hold what the gateway saw even with pinning off; quarantine only applies with it on.
  return {
    tool: pin.tool,
    shown_as: ruleOf(policy.tools, pin.tool)?.name ?? pin.tool,
    state: toolState(policy, pin.tool, pinStateOf(pin)),
    changed: pin.approvedHash !== null && pin.seenHash !== pin.approvedHash,
    blocked: pin.blocked,
    seen_at: pin.seenAt?.toISOString() ?? null,
    approved_at: pin.approvedAt?.toISOString() ?? null,
    approved_by: pin.approvedBy,
    definition: pin.seenDefinition ?? null,
  };
}

/** Member overrides may name members by email; they are stored by user id. */
async function resolveMembers(
  store: Store,
  workspaceId: string,
  document: ServerPolicy,
): Promise<ServerPolicy> {
  const issues: { path: string; message: string }[] = [];
  const sections = ['tools', 'resources', 'resource_templates', 'prompts'] as const;
  const out = structuredClone(document);
  for (const section of sections) {
    for (const [item, rule] of Object.entries(out[section])) {
      if (rule.members === undefined) continue;
      const resolved: Record<string, boolean> = {};
      for (const [who, allowed] of Object.entries(rule.members)) {
        const user = who.includes('@')
          ? await store.users.findByEmail(who)
          : await store.users.find(who);
        const member =
          user === undefined ? undefined : await store.members.find(workspaceId, user.id);
        if (user === undefined || member === undefined) {
          issues.push({
            path: `body.${section}.${item}.members.${who}`,
            message: `"${who}" is not a member of this workspace`,
          });
          continue;
        }
        resolved[user.id] = allowed;
      }
      rule.members = resolved;
    }
  }
  if (issues.length > 0) throw invalidInput(issues);
  return out;
}

/** Saves a version; a concurrent change in between is a 409, not a lost update. */
async function saveVersion(store: Store, input: ServerPolicyInput): Promise<ServerPolicyRecord> {
  try {
    return await store.serverPolicies.save(input);
  } catch (error) {
    if (error instanceof StoreError && error.code === 'conflict')
      throw new GatewayError('conflict', `The policy changed meanwhile: ${error.message}.`);
    throw error;
  }
}

export function createPolicyRoutes(deps: AdminDeps): ApiRoute[] {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());

  const manageable = async (
    caller: ApiCaller,
    params: { workspaceId: string; serverId: string },
  ): Promise<ServerDefinition> => {
    const server = await findReachableServer(store, caller, params);
    const access = await accessWorkspace(store, caller, params.workspaceId);
    requireThat(access.actor, 'server.manage');
    return server;
  };

  const unseen = (tool: string) =>
    new GatewayError('not_found', `The gateway has not seen a tool "${tool}" on this server.`);

  // A pin found here may still be gone by the write (its server deleted meanwhile): writes check again.
  const pinOf = async (server: ServerDefinition, tool: string): Promise<ToolPin> => {
    const pin = await store.toolPins.find(server.workspaceId, server.id, tool);
    if (pin === undefined) throw unseen(tool);
    return pin;
  };

  const changed = (
    server: ServerDefinition,
    kinds?: readonly ('tools' | 'resources' | 'prompts')[],
  ) => deps.policies?.changed(server.workspaceId, server.id, kinds);

  return [
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/servers/:serverId/policy',
      tag: 'policy',
      summary: "The server's current policy document (defaults filled in)",
      params: serverParams,
      response: policyView,
      async handle({ caller, params }) {
        const server = await manageable(caller, params);
        const record = await store.serverPolicies.current(server.workspaceId, server.id);
        return showPolicy(record, parseStored(record));
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/workspaces/:workspaceId/servers/:serverId/policy',
      tag: 'policy',
      summary:
        'Replace the policy document: a new version that applies to the next request; connected clients get list_changed. Member overrides may name members by email.',
      params: serverParams,
      query: z.strictObject({
        expected_version: z.coerce
          .number()
          .int()
          .min(0)
          .optional()
          .describe('Refuse (409) unless the current version is this one.'),
      }),
      body: serverPolicySchema,
      response: policyView,
      async handle({ caller, params, query, body }) {
        const server = await manageable(caller, params);
        const document = await resolveMembers(store, server.workspaceId, body);
        const record = await saveVersion(store, {
          workspaceId: server.workspaceId,
          serverId: server.id,
          document: document,
          updatedBy: caller.user.id,
          ...(query.expected_version === undefined
            ? {}
            : { expectedVersion: query.expected_version }),
        });
        changed(server);
        return showPolicy(record, document);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/servers/:serverId/policy/history',
      tag: 'policy',
      summary: 'Every version of the policy document, newest first',
      params: serverParams,
      response: z.array(policyView),
      async handle({ caller, params }) {
        const server = await manageable(caller, params);
        const history = await store.serverPolicies.history(server.workspaceId, server.id);
        return history.map((record) => showPolicy(record, parseStored(record)));
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/servers/:serverId/tools',
      tag: 'policy',
      summary:
        'Tools as the gateway last saw them (recorded while the server has a policy), with their state at workspace level',
      params: serverParams,
      response: z.array(toolView),
      async handle({ caller, params }) {
        const server = await manageable(caller, params);
        const policy = parseStored(
          await store.serverPolicies.current(server.workspaceId, server.id),
        );
        return (await store.toolPins.list(server.workspaceId, server.id)).map((pin) =>
          showTool(policy, pin),
        );
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/servers/:serverId/tools/:tool/diff',
      tag: 'policy',
      summary: 'The approved definition of a tool, the one last seen, and what differs',
      params: toolParams,
      response: diffView,
      async handle({ caller, params }) {
        const server = await manageable(caller, params);
        const pin = await pinOf(server, params.tool);
        return {
          tool: pin.tool,
          approved: pin.approvedDefinition,
          seen: pin.seenDefinition,
          changes: diffDefinitions(pin.approvedDefinition, pin.seenDefinition),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/workspaces/:workspaceId/servers/:serverId/tools/:tool/approve',
      tag: 'policy',
      summary:
        'Approve the definition last seen (lifting a quarantine); in allowlist mode this also enables the tool',
      params: toolParams,
      response: toolView,
      async handle({ caller, params }) {
        const server = await manageable(caller, params);
        await pinOf(server, params.tool);
        const record = await store.serverPolicies.current(server.workspaceId, server.id);
        let policy = parseStored(record);
        if (policy.mode === 'allowlist' && ruleOf(policy.tools, params.tool)?.enabled !== true) {
          policy = {
            ...policy,
            tools: {
              ...policy.tools,
              [params.tool]: { ...ruleOf(policy.tools, params.tool), enabled: true },
            },
          };
          await saveVersion(store, {
            workspaceId: server.workspaceId,
            serverId: server.id,
            document: policy,
            updatedBy: caller.user.id,
            expectedVersion: record?.version ?? 0,
          });
        }
        const pin = await store.toolPins.approve(
          server.workspaceId,
          server.id,
          params.tool,
          caller.user.id,
          now(),
        );
        if (pin === undefined) throw unseen(params.tool);
        changed(server, ['tools']);
        return showTool(policy, pin);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/workspaces/:workspaceId/servers/:serverId/tools/:tool/quarantine',
      tag: 'policy',
      summary: 'Quarantine a tool (hidden and refused, with pinning on) until approved again',
      params: toolParams,
      response: toolView,
      async handle({ caller, params }) {
        const server = await manageable(caller, params);
        await pinOf(server, params.tool);
        const policy = parseStored(
          await store.serverPolicies.current(server.workspaceId, server.id),
        );
        if (!policy.pin_tools)
          throw new GatewayError(
            'conflict',
            'Quarantine needs tool pinning on (pin_tools: true in the policy).',
          );
        const pin = await store.toolPins.block(server.workspaceId, server.id, params.tool);
        if (pin === undefined) throw unseen(params.tool);
        changed(server, ['tools']);
        return showTool(policy, pin);
      },
    }),
  ];
}
