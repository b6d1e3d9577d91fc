/** What one `applyConfig` run changed, for the CLI and the start-up log. */

export interface ChangeCounts {
  created: number;
  updated: number;
  /** Removed members and servers; revoked api keys. */
  removed: number;
}

/** Documents the file declares in full (policies, usage limits): unchanged ones are counted too. */
export interface DocumentCounts extends ChangeCounts {
  unchanged: number;
}

export interface ApplySummary {
  readonly users: ChangeCounts;
  readonly workspaces: ChangeCounts;
  readonly members: ChangeCounts;
  readonly servers: ChangeCounts;
  readonly apiKeys: ChangeCounts;
  /** Versions of declared server policies (never removed: a server without `policy:` keeps its own). */
  readonly policies: DocumentCounts;
  /** Usage limit rules of declared workspaces. */
  readonly limits: DocumentCounts;
  /** Things applied as asked that an admin should still know about. */
  readonly warnings: string[];
}

export function emptyApplySummary(): ApplySummary {
  const counts = () => ({ created: 0, updated: 0, removed: 0 });
  return {
    users: counts(),
    workspaces: counts(),
    members: counts(),
    servers: counts(),
    apiKeys: counts(),
    policies: { ...counts(), unchanged: 0 },
    limits: { ...counts(), unchanged: 0 },
    warnings: [],
  };
}

const areas = [
  ['users', 'users', 'removed'],
  ['workspaces', 'workspaces', 'removed'],
  ['members', 'members', 'removed'],
  ['servers', 'servers', 'removed'],
  ['apiKeys', 'api keys', 'revoked'],
  ['policies', 'policies', 'removed'],
  ['limits', 'usage limits', 'removed'],
] as const;

export function hasChanges(summary: ApplySummary): boolean {
  return areas.some(([area]) => {
    const counts = summary[area];
    return counts.created + counts.updated + counts.removed > 0;
  });
}

/** `servers: 2 created, 1 removed; api keys: 1 revoked; policies: 1 updated, 2 unchanged`, or `no changes`. */
export function formatApplySummary(summary: ApplySummary): string {
  const parts: string[] = [];
  for (const [area, label, removedLabel] of areas) {
    const counts = summary[area];
    const changes = [
      [counts.created, 'created'],
      [counts.updated, 'updated'],
      [counts.removed, removedLabel],
    ]
      .filter(([count]) => Number(count) > 0)
      .map(([count, verb]) => `${count} ${verb}`);
    // Unchanged documents are told only beside changes: an idempotent re-apply says "no changes".
    if (changes.length > 0 && 'unchanged' in counts && counts.unchanged > 0)
      changes.push(`${counts.unchanged} unchanged`);
    if (changes.length > 0) parts.push(`${label}: ${changes.join(', ')}`);
  }
  return parts.length === 0 ? 'no changes' : parts.join('; ');
}
