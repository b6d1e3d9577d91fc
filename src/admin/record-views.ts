/** How request records appear in the API and its exports. */
import { z } from 'zod';
import type { RequestRecord } from '../telemetry/request-record.ts';

export const recordView = z.object({
  id: z.string(),
  time: z.string(),
  workspaceId: z.string(),
  serverId: z.string(),
  principalKind: z.enum(['api_key', 'user', 'anonymous']),
  principalId: z.string().nullable(),
  apiKeyId: z.string().nullable(),
  clientId: z.string().nullable(),
  clientName: z.string().nullable(),
  clientVersion: z.string().nullable(),
  method: z.string(),
  target: z.string().nullable(),
  era: z.enum(['legacy', 'modern']),
  protocolVersion: z.string().nullable(),
  sessionTag: z.string().nullable(),
  latencyMs: z.number(),
  upstreamLatencyMs: z.number().nullable(),
  status: z.enum(['ok', 'error']),
  httpStatus: z.number().int(),
  errorCode: z.number().int().nullable(),
  errorMessage: z.string().nullable(),
  bytesIn: z.number().int(),
  bytesOut: z.number().int(),
  traceId: z.string().nullable(),
  captured: z.boolean().describe('Whether arguments and result were captured (capture mode full).'),
  arguments: z.unknown().optional().describe('Redacted arguments; in a single record and exports.'),
  result: z
    .unknown()
    .optional()
    .describe('Redacted result or error; in a single record and exports.'),
});
export type RecordView = z.infer<typeof recordView>;

function parsed(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function showRecord(record: RequestRecord, full: boolean): RecordView {
  const { time, arguments: args, result, ...rest } = record;
  return {
    ...rest,
    time: time.toISOString(),
    captured: args !== null || result !== null,
    ...(full ? { arguments: parsed(args), result: parsed(result) } : {}),
  };
}

export const CSV_COLUMNS = [
  'id',
  'time',
  'workspaceId',
  'serverId',
  'principalKind',
  'principalId',
  'apiKeyId',
  'clientId',
  'clientName',
  'clientVersion',
  'method',
  'target',
  'era',
  'protocolVersion',
  'sessionTag',
  'latencyMs',
  'upstreamLatencyMs',
  'status',
  'httpStatus',
  'errorCode',
  'errorMessage',
  'bytesIn',
  'bytesOut',
  'traceId',
  'arguments',
  'result',
] as const;

/**
 * One RFC 4180 field: quoted when it holds a comma, quote, CR or LF (quotes
 * doubled). Text starting with `=`, `+`, `-`, `@`, tab or CR is prefixed
 * with `'` so spreadsheets never evaluate a client-chosen value as a formula.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
