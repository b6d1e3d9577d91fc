/**
 * Applies the `policy:` of each declared server: a new version is saved only
 * when the document differs from the stored one (no audit noise), and a
 * server without `policy:` keeps what the API set. Member overrides name
 * members by email in the file and are stored by user id.
 */
import type { ConfigIssue } from '../config/config-issue.ts';
import type { Store } from '../store/store.ts';
import { serverPolicySchema } from './server-policy-schema.ts';
import type { ServerPolicy } from './server-policy-schema.ts';
import { canonicalJson } from './tool-pinning.ts';

export interface DeclaredPolicy {
  readonly serverId: string;
  /** Config path of the document, e.g. `workspaces.0.servers.1.policy`. */
  readonly path: string;
  readonly policy: ServerPolicy;
}

const SECTIONS = ['tools', 'resources', 'resource_templates', 'prompts'] as const;

/** Resolves to the issues found; writes nothing when there are any. */
export async function applyDeclaredPolicies(
  tx: Pick<Store, 'serverPolicies' | 'users' | 'members'>,
  workspaceId: string,
  declared: readonly DeclaredPolicy[],
): Promise<{ issues: ConfigIssue[]; changed: number }> {
  const issues: ConfigIssue[] = [];
  const resolved: { serverId: string; policy: ServerPolicy }[] = [];
  for (const entry of declared) {
    const policy = structuredClone(entry.policy);
    for (const section of SECTIONS)
      for (const [item, rule] of Object.entries(policy[section])) {
        if (rule.members === undefined) continue;
        const byId: Record<string, boolean> = {};
        for (const [email, allowed] of Object.entries(rule.members)) {
          const user = await tx.users.findByEmail(email);
          const member = user && (await tx.members.find(workspaceId, user.id));
          if (user === undefined || member === undefined) {
            issues.push({
              path: `${entry.path}.${section}.${item}.members.${email}`,
              message: `"${email}" is not a member of workspace "${workspaceId}"`,
            });
            continue;
          }
          byId[user.id] = allowed;
        }
        rule.members = byId;
      }
    resolved.push({ serverId: entry.serverId, policy });
  }
  if (issues.length > 0) return { issues, changed: 0 };
  let changed = 0;
  for (const { serverId, policy } of resolved) {
    const current = await tx.serverPolicies.current(workspaceId, serverId);
    const stored = current && serverPolicySchema.safeParse(current.document);
    if (stored?.success === true && canonicalJson(stored.data) === canonicalJson(policy)) continue;
    await tx.serverPolicies.save({
      workspaceId,
      serverId,
      document: policy,
      updatedBy: null,
    });
    changed++;
  }
  return { issues, changed };
}
