/**
 * The client's self-description on the record: `clientInfo` from a legacy
 * `initialize` (kept in the session) or from a modern request's `_meta`
 * (`io.modelcontextprotocol/clientInfo`, 2026-07-28). Clients choose these
 * strings, so they are cut short: a record is no place for a payload.
 */
import type { RequestRecord } from './request-record.ts';

const MAX_LENGTH = 200;

function text(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value.slice(0, MAX_LENGTH) : null;
}

export function noteClientInfo(record: RequestRecord, clientInfo: unknown): void {
  if (typeof clientInfo !== 'object' || clientInfo === null) return;
  const info = clientInfo as { name?: unknown; version?: unknown };
  record.clientName = text(info.name);
  record.clientVersion = text(info.version);
}
