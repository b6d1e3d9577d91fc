/**
 * The Audit view's filters ↔ its URL query ↔ the audit API query
 * (GET /api/v1/audit, always for the workspace on screen).
 */
import { parseTimeRange, resolveRange, writeTimeRange } from './time-range.ts';
import type { TimeRange } from './time-range.ts';

export interface AuditFilters extends TimeRange {
  /** The acting user's id or email. */
  readonly actor?: string;
  /** `server.update` and the like. */
  readonly action?: string;
  readonly targetType?: string;
}

export const AUDIT_DEFAULT_RANGE = 'all';
export const ACTION_PATTERN = /^[a-z_]+\.[a-z_]+$/;

export function parseAuditFilters(search: string): AuditFilters {
  const params = new URLSearchParams(search);
  const actor = params.get('actor')?.trim() ?? '';
  const action = params.get('action')?.trim() ?? '';
  const targetType = params.get('targetType')?.trim() ?? '';
  return {
    ...parseTimeRange(params, AUDIT_DEFAULT_RANGE),
    ...(actor !== '' && actor.length <= 320 ? { actor } : {}),
    ...(ACTION_PATTERN.test(action) ? { action } : {}),
    ...(targetType !== '' && targetType.length <= 100 ? { targetType } : {}),
  };
}

export function auditFiltersSearch(filters: AuditFilters): string {
  const params = new URLSearchParams();
  writeTimeRange(params, filters, AUDIT_DEFAULT_RANGE);
  if (filters.actor !== undefined) params.set('actor', filters.actor);
  if (filters.action !== undefined) params.set('action', filters.action);
  if (filters.targetType !== undefined) params.set('targetType', filters.targetType);
  return params.toString();
}

export function auditQuery(workspace: string, filters: AuditFilters, now: Date) {
  const { since, until } = resolveRange(filters, now);
  return {
    workspace,
    ...(since === undefined ? {} : { since }),
    ...(filters.range === 'custom' && until !== undefined ? { until } : {}),
    ...(filters.actor === undefined ? {} : { actor: filters.actor }),
    ...(filters.action === undefined ? {} : { action: filters.action }),
    ...(filters.targetType === undefined ? {} : { targetType: filters.targetType }),
  };
}
