/**
 * The audit log under /api/v1/audit: instance administrators read every
 * entry; owners and admins of a workspace read that workspace's entries.
 * Entries are newest first; `nextCursor` continues below the last one.
 */
import { z } from 'zod';
import { GatewayError } from '../shared/errors.ts';
import type { AuditEntry } from '../store/model.ts';
import type { AdminDeps } from './admin-deps.ts';
import { defineRoute } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { effectiveRole } from './roles.ts';
import { accessWorkspace } from './workspace-access.ts';

const DEFAULT_LIMIT = 100;

const auditQuery = z.strictObject({
  workspace: z.string().min(1).max(200).optional().describe('Entries of one workspace.'),
  actor: z.string().min(1).max(320).optional().describe("The acting user's id or email."),
  action: z
    .string()
    .regex(/^[a-z_]+\.[a-z_]+$/, 'must look like server.update')
    .optional(),
  targetType: z.string().min(1).max(100).optional(),
  targetId: z.string().min(1).max(200).optional(),
  since: z.iso.datetime({ offset: true }).optional().describe('Inclusive.'),
  until: z.iso.datetime({ offset: true }).optional().describe('Exclusive.'),
  cursor: z
    .string()
    .regex(/^[1-9][0-9]{0,14}$/, 'must be a nextCursor of an earlier page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

const auditEntryView = z.object({
  seq: z.number().int(),
  time: z.iso.datetime(),
  actor: z.object({
    kind: z.enum(['user', 'api_key', 'config', 'system']),
    id: z.string().nullable(),
    email: z.string().nullable(),
    apiKeyId: z.string().nullable(),
  }),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string() }),
  workspaceId: z.string().nullable(),
  before: z.unknown().describe('Stored state before the change, secrets masked; null if none.'),
  after: z.unknown().describe('Stored state after the change, secrets masked; null if none.'),
  source: z.enum(['api', 'config', 'cli']),
  requestId: z.string().nullable(),
  prevHash: z.string(),
  hash: z.string(),
});

function showAuditEntry(entry: AuditEntry): z.infer<typeof auditEntryView> {
  return {
    seq: entry.seq,
    time: entry.time.toISOString(),
    actor: {
      kind: entry.actorKind,
      id: entry.actorId,
      email: entry.actorEmail,
      apiKeyId: entry.apiKeyId,
    },
    action: entry.action,
    target: { type: entry.targetType, id: entry.targetId },
    workspaceId: entry.workspaceId,
    before: entry.before,
    after: entry.after,
    source: entry.source,
    requestId: entry.requestId,
    prevHash: entry.prevHash,
    hash: entry.hash,
  };
}

export function createAuditRoutes(deps: AdminDeps): ApiRoute[] {
  const { store } = deps;
  return [
    defineRoute({
      method: 'GET',
      path: '/audit',
      tag: 'audit',
      summary:
        "Administrative changes, newest first (instance administrators: all; a workspace's owners and admins: that workspace's, with `workspace`)",
      query: auditQuery,
      response: z.object({ entries: z.array(auditEntryView), nextCursor: z.string().nullable() }),
      async handle({ caller, query }) {
        if (query.workspace === undefined) {
          if (!caller.user.isAdmin)
            throw new GatewayError(
              'forbidden',
              'Only instance administrators read the whole audit log; name a workspace you own or administer (workspace=…).',
            );
        } else {
          const access = await accessWorkspace(store, caller, query.workspace);
          const role = effectiveRole(access.actor);
          if (role !== 'owner' && role !== 'admin')
            throw new GatewayError(
              'forbidden',
              "Reading a workspace's audit log needs the owner or admin role.",
            );
        }
        const limit = query.limit ?? DEFAULT_LIMIT;
        const entries = await store.auditLog.list({
          workspaceId: query.workspace,
          actor: query.actor,
          action: query.action,
          targetType: query.targetType,
          targetId: query.targetId,
          since: query.since === undefined ? undefined : new Date(query.since),
          until: query.until === undefined ? undefined : new Date(query.until),
          beforeSeq: query.cursor === undefined ? undefined : Number(query.cursor),
          limit: limit + 1,
        });
        const page = entries.slice(0, limit);
        return {
          entries: page.map(showAuditEntry),
          nextCursor: entries.length > limit ? String(page[page.length - 1]!.seq) : null,
        };
      },
    }),
  ];
}
