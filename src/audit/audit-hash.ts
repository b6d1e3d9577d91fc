/**
 * The hash chain's one formula: an entry's hash is SHA-256 over the canonical
 * JSON of every other field, `prevHash` included, so editing any field of any
 * entry, or removing, inserting or re-ordering entries, breaks the chain.
 */
import { createHash } from 'node:crypto';
import type { AuditEntry } from '../store/model.ts';

/** JSON with object keys sorted by code unit, at every depth: one text per value. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(inner).sort())
      sorted[key] = (inner as Record<string, unknown>)[key];
    return sorted;
  });
}

export function auditEntryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const covered = {
    seq: entry.seq,
    time: entry.time.toISOString(),
    actorKind: entry.actorKind,
    actorId: entry.actorId,
    actorEmail: entry.actorEmail,
    apiKeyId: entry.apiKeyId,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    workspaceId: entry.workspaceId,
    before: entry.before ?? null,
    after: entry.after ?? null,
    source: entry.source,
    requestId: entry.requestId,
    prevHash: entry.prevHash,
  };
  return createHash('sha256').update(canonicalJson(covered), 'utf8').digest('hex');
}
