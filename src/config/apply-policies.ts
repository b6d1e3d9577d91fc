/**
 * Applies each declared workspace's `limits:` and each declared server's
 * `policy:` (src/policy does the writing), and counts what changed by
 * comparing the stored state before and after: a config that changes only
 * these is not reported as "no changes".
 */
import { applyDeclaredLimits } from '../policy/usage-limits-config.ts';
import { applyDeclaredPolicies } from '../policy/server-policy-config.ts';
import type { UsageLimitRule } from '../store/model.ts';
import type { Store } from '../store/store.ts';
import type { ApplySummary, DocumentCounts } from './apply-summary.ts';
import type { ConfigIssue } from './config-issue.ts';
import type { DeclarativeConfig } from './declarative-schema.ts';

/** A rule's meaning, without its id and timestamps. */
function ruleKey(rule: UsageLimitRule): string {
  return JSON.stringify([
    rule.serverId,
    rule.tool,
    rule.method,
    rule.groupBy,
    rule.period,
    rule.limit,
  ]);
}

async function limitKeys(tx: Store, workspaceId: string): Promise<Map<string, string>> {
  return new Map(
    (await tx.usageLimits.list(workspaceId)).map((rule) => [rule.name, ruleKey(rule)]),
  );
}

function countDocuments(
  counts: DocumentCounts,
  before: ReadonlyMap<string, unknown>,
  after: ReadonlyMap<string, unknown>,
): void {
  for (const [name, value] of after) {
    if (!before.has(name)) counts.created++;
    else if (before.get(name) !== value) counts.updated++;
    else counts.unchanged++;
  }
  for (const name of before.keys()) if (!after.has(name)) counts.removed++;
}

async function applyWorkspaceLimits(
  tx: Store,
  config: DeclarativeConfig,
  summary: ApplySummary,
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  for (const [index, workspace] of config.workspaces.entries()) {
    const before = await limitKeys(tx, workspace.id);
    issues.push(
      ...(await applyDeclaredLimits(tx, {
        workspaceId: workspace.id,
        path: `workspaces.${index}.limits`,
        rules: workspace.limits,
        serverIds: new Set(workspace.servers.map((server) => server.id)),
      })),
    );
    countDocuments(summary.limits, before, await limitKeys(tx, workspace.id));
  }
  return issues;
}

async function applyServerPolicies(
  tx: Store,
  config: DeclarativeConfig,
  summary: ApplySummary,
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  for (const [index, workspace] of config.workspaces.entries()) {
    const declared = workspace.servers.flatMap((server, serverIndex) =>
      server.policy === undefined
        ? []
        : [
            {
              serverId: server.id,
              path: `workspaces.${index}.servers.${serverIndex}.policy`,
              policy: server.policy,
            },
          ],
    );
    // A server without `policy:` keeps what the API set: only declared ones are counted.
    const versions = async () => {
      const found = new Map<string, number>();
      for (const { serverId } of declared) {
        const current = await tx.serverPolicies.current(workspace.id, serverId);
        if (current !== undefined) found.set(serverId, current.version);
      }
      return found;
    };
    const before = await versions();
    issues.push(...(await applyDeclaredPolicies(tx, workspace.id, declared)).issues);
    countDocuments(summary.policies, before, await versions());
  }
  return issues;
}

/** Resolves to the issues found; the caller's transaction is dropped when there are any. */
export async function applyPoliciesAndLimits(
  tx: Store,
  config: DeclarativeConfig,
  summary: ApplySummary,
): Promise<ConfigIssue[]> {
  return [
    ...(await applyWorkspaceLimits(tx, config, summary)),
    ...(await applyServerPolicies(tx, config, summary)),
  ];
}
