/**
 * Who sees which request records (records and analytics routes share it):
 * every role reads its own records; admins and owners (and instance
 * administrators) read everyone's in the workspace. A caller whose access is
 * limited to some servers (membership or API key) sees those servers only.
 */
import { z } from 'zod';
import { GatewayError } from '../shared/errors.ts';
import type { RequestRecordQuery } from '../store/store.ts';
import type { AdminDeps } from './admin-deps.ts';
import { invalidInput } from './api-route.ts';
import type { ApiCaller } from './authenticate-api-caller.ts';
import { can } from './roles.ts';
import { accessWorkspace, requireThat } from './workspace-access.ts';

const when = z.iso.datetime({ offset: true });

/** Filters shared by the record list, its exports and analytics. */
export const recordFilterFields = {
  since: when.optional().describe('Inclusive start of the time range (RFC 3339).'),
  until: when.optional().describe('Exclusive end of the time range (RFC 3339).'),
  server: z.string().min(1).max(200).optional(),
  member: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe("A member's user id; members and viewers may name only themselves."),
};

export const recordFilterSchema = z.strictObject(recordFilterFields);
export type RecordFilter = z.output<typeof recordFilterSchema>;

export interface RecordScope {
  readonly query: RequestRecordQuery;
  /** Whether the caller reads every member's records. */
  readonly all: boolean;
}

export async function recordScope(
  deps: Pick<AdminDeps, 'store'>,
  caller: ApiCaller,
  workspaceId: string,
  filter: RecordFilter,
): Promise<RecordScope> {
  const access = await accessWorkspace(deps.store, caller, workspaceId);
  requireThat(access.actor, 'record.read', { isOwn: true });
  const all = can(access.actor, 'record.read', { isOwn: false });
  if (!all && filter.member !== undefined && filter.member !== caller.user.id)
    throw new GatewayError('forbidden', 'Your role allows reading your own records only.');
  const since = filter.since === undefined ? undefined : new Date(filter.since);
  const until = filter.until === undefined ? undefined : new Date(filter.until);
  if (since !== undefined && until !== undefined && since >= until)
    throw invalidInput([{ path: 'query.until', message: 'must be after since' }]);
  const query: RequestRecordQuery = {
    workspaceId: access.workspace.id,
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
    ...(filter.server === undefined ? {} : { serverId: filter.server }),
    ...(all
      ? filter.member === undefined
        ? {}
        : { principalId: filter.member }
      : { principalId: caller.user.id }),
    ...(access.serverIds === null ? {} : { serverIds: access.serverIds }),
  };
  return { query, all };
}
