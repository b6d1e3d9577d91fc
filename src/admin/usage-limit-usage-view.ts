/**
 * Usage limits' current counts as the API shows them: each counter's groups
 * named (member emails, API key names), limited to what the caller may see.
 * Counters that belong to a member (group `member` or `api_key`) are the
 * caller's own unless they read everyone's request records (admins and
 * owners, as for records: members never see each other's activity);
 * counters shared by everybody (no group, or server and tool only) are
 * visible to every reader of the limits.
 */
import { z } from 'zod';
import { usageLimitRuleSchema } from '../policy/usage-limits-schema.ts';
import type { LimitCounter, LimitUsage } from '../policy/usage-limits-reading.ts';
import type { Store } from '../store/store.ts';

/** Counters listed per limit at most, most used first; `counters_total` tells how many there were. */
export const COUNTERS_SHOWN = 100;

export const limitUsageView = z.object({
  name: usageLimitRuleSchema.shape.name,
  period: usageLimitRuleSchema.shape.period,
  limit: z.number().int(),
  group_by: usageLimitRuleSchema.shape.group_by,
  window_start: z.string().describe('Start of the current fixed UTC window (ISO 8601)'),
  resets_at: z.string().describe('End of the current window: every counter starts again at 0'),
  counters_total: z.number().int().describe('Counters visible to the caller, before the cut'),
  counters: z
    .array(
      z.object({
        member: z.object({ id: z.string(), email: z.string().nullable() }).optional(),
        api_key: z.object({ id: z.string(), name: z.string().nullable() }).optional(),
        client: z.string().optional().describe('The OAuth client of a signed-in caller'),
        server: z.string().optional(),
        tool: z.string().optional(),
        used: z.number().int(),
        remaining: z.number().int(),
      }),
    )
    .describe(
      'Without group_by: the one workspace-wide counter. Otherwise the groups used in this window, most used first, at most 100.',
    ),
});

export type LimitUsageView = z.infer<typeof limitUsageView>;

export interface UsageViewer {
  /** Reads every member's counters (else only the caller's own and shared ones). */
  readonly seesEveryone: boolean;
  readonly userId: string;
  /** Only this member's counters (and shared ones); undefined: every visible counter. */
  readonly member?: string | undefined;
}

export async function limitUsageViews(
  store: Pick<Store, 'users' | 'apiKeys'>,
  workspaceId: string,
  usages: readonly LimitUsage[],
  viewer: UsageViewer,
): Promise<LimitUsageView[]> {
  const needsKeys = usages.some((usage) => usage.rule.groupBy.includes('api_key'));
  const keys = new Map(
    (needsKeys ? await store.apiKeys.list(workspaceId) : []).map((key) => [key.id, key]),
  );
  const ownerOf = (counter: LimitCounter): string | undefined =>
    counter.group.memberId ??
    (counter.group.apiKeyId === undefined ? undefined : keys.get(counter.group.apiKeyId)?.userId);
  const visible = (counter: LimitCounter): boolean => {
    const owner = ownerOf(counter);
    // A key since deleted belonged to somebody: only those who see everyone's counters see it.
    if (owner === undefined && counter.group.apiKeyId !== undefined)
      return viewer.seesEveryone && viewer.member === undefined;
    if (owner === undefined) return true;
    if (viewer.member !== undefined && owner !== viewer.member) return false;
    return viewer.seesEveryone || owner === viewer.userId;
  };

  const emails = new Map<string, Promise<string | null>>();
  const emailOf = (userId: string) => {
    let email = emails.get(userId);
    if (email === undefined) {
      email = store.users.find(userId).then((user) => user?.email ?? null);
      emails.set(userId, email);
    }
    return email;
  };

  return Promise.all(
    usages.map(async ({ rule, windowStart, resetsAt, counters }) => {
      const shown = counters.filter(visible);
      return {
        name: rule.name,
        period: rule.period,
        limit: rule.limit,
        group_by: [...rule.groupBy],
        window_start: windowStart.toISOString(),
        resets_at: resetsAt.toISOString(),
        counters_total: shown.length,
        counters: await Promise.all(
          shown.slice(0, COUNTERS_SHOWN).map(async ({ group, used, remaining }) => {
            const memberId = group.memberId ?? ownerOf({ group, used, remaining });
            return {
              ...(memberId === undefined
                ? {}
                : { member: { id: memberId, email: await emailOf(memberId) } }),
              ...(group.apiKeyId === undefined
                ? {}
                : {
                    api_key: {
                      id: group.apiKeyId,
                      name: keys.get(group.apiKeyId)?.name ?? null,
                    },
                  }),
              ...(group.clientId === undefined ? {} : { client: group.clientId }),
              ...(group.server === undefined ? {} : { server: group.server }),
              ...(group.tool === undefined ? {} : { tool: group.tool }),
              used,
              remaining,
            };
          }),
        ),
      };
    }),
  );
}
