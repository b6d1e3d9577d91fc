/**
 * Applies a declared workspace's `limits:` list: the file is the source of
 * truth for the workspaces it declares, so rules it no longer lists are
 * removed. Unchanged rules are not written (no audit noise, same `updatedAt`).
 */
import type { ConfigIssue } from '../config/config-issue.ts';
import type { UsageLimitRule } from '../store/model.ts';
import type { Store, UsageLimitInput } from '../store/store.ts';
import { usageLimitInput } from './usage-limits-schema.ts';
import type { UsageLimitRuleInput } from './usage-limits-schema.ts';

export interface DeclaredLimits {
  readonly workspaceId: string;
  /** Config path of the list, e.g. `workspaces.0.limits`. */
  readonly path: string;
  readonly rules: readonly UsageLimitRuleInput[];
  /** Server ids the workspace declares: a rule may only name one of them. */
  readonly serverIds: ReadonlySet<string>;
}

function same(rule: UsageLimitRule, input: UsageLimitInput): boolean {
  return (
    rule.serverId === input.serverId &&
    rule.tool === input.tool &&
    rule.method === input.method &&
    rule.period === input.period &&
    rule.limit === input.limit &&
    rule.groupBy.join() === input.groupBy.join()
  );
}

/** Resolves to the issues found; writes nothing when there are any. */
export async function applyDeclaredLimits(
  tx: Pick<Store, 'usageLimits'>,
  declared: DeclaredLimits,
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = declared.rules.flatMap((rule, index) =>
    rule.server === undefined || declared.serverIds.has(rule.server)
      ? []
      : [
          {
            path: `${declared.path}.${index}.server`,
            message: `no server "${rule.server}" is declared in this workspace`,
          },
        ],
  );
  if (issues.length > 0) return issues;
  const existing = new Map(
    (await tx.usageLimits.list(declared.workspaceId)).map((rule) => [rule.name, rule]),
  );
  for (const rule of declared.rules) {
    const input = usageLimitInput(declared.workspaceId, rule);
    const current = existing.get(rule.name);
    existing.delete(rule.name);
    if (current === undefined || !same(current, input)) await tx.usageLimits.upsert(input);
  }
  for (const stale of existing.keys()) await tx.usageLimits.remove(declared.workspaceId, stale);
  return [];
}
