/** What one `applyConfig` run changed, for the CLI and the start-up log. */

export interface ChangeCounts {
  created: number;
  updated: number;
  /** Removed members and servers; revoked api keys. */
  removed: number;
}

export interface ApplySummary {
  readonly users: ChangeCounts;
  readonly workspaces: ChangeCounts;
  readonly members: ChangeCounts;
  readonly servers: ChangeCounts;
  readonly apiKeys: ChangeCounts;
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
    warnings: [],
  };
}

const areas = [
  ['users', 'users', 'removed'],
  ['workspaces', 'workspaces', 'removed'],
  ['members', 'members', 'removed'],
  ['servers', 'servers', 'removed'],
  ['apiKeys', 'api keys', 'revoked'],
] as const;

export function hasChanges(summary: ApplySummary): boolean {
  return areas.some(([area]) => {
    const counts = summary[area];
    return counts.created + counts.updated + counts.removed > 0;
  });
}

/** `servers: 2 created, 1 removed; api keys: 1 revoked`, or `no changes`. */
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
    if (changes.length > 0) parts.push(`${label}: ${changes.join(', ')}`);
  }
  return parts.length === 0 ? 'no changes' : parts.join('; ');
}
