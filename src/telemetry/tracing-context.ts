/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the
 * `traceparent` value as it travels in HTTP headers and, for MCP, in
 * `params._meta` (SEP-414), and the random ids of new traces and spans.
 */
import { pooledRandomBytes } from '../shared/random-pool.ts';

export interface SpanContext {
  /** 32 lower-case hex digits, not all zero. */
  readonly traceId: string;
  /** 16 lower-case hex digits, not all zero. */
  readonly spanId: string;
  /** The `sampled` flag (bit 0 of trace-flags). */
  readonly sampled: boolean;
}

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(?:$|-)/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

/**
 * Parses a `traceparent`; undefined for anything malformed, which per the
 * spec means "start a new trace", never a failed request. Version `ff` is
 * invalid; version 00 has exactly 55 characters; later versions are read by
 * their version-00 prefix (§3.2.4).
 */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.length > 55 && value.charCodeAt(value.length - 1) <= 32 ? value.trim() : value;
  if (text.length < 55 || text.length > 512 || !TRACEPARENT.test(text)) return undefined;
  const version = text.slice(0, 2);
  if (version === 'ff' || (version === '00' && text.length !== 55)) return undefined;
  const traceId = text.slice(3, 35);
  const spanId = text.slice(36, 52);
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(text.slice(53, 55), 16) & 1) === 1 };
}

export function formatTraceparent(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.sampled ? '01' : '00'}`;
}

/** `tracestate` is passed on as received, when it is a plausible list (§3.3). */
export function cleanTracestate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  // 32 members of at most 256 characters; printable ASCII only.
  if (trimmed === '' || trimmed.length > 8192 || !/^[\x20-\x7e]*$/.test(trimmed)) return undefined;
  return trimmed;
}

const randomHex = (bytes: number): string => pooledRandomBytes(bytes).toString('hex');

export function newTraceId(): string {
  const id = randomHex(16);
  return id === ZERO_TRACE ? newTraceId() : id;
}

export function newSpanId(): string {
  const id = randomHex(8);
  return id === ZERO_SPAN ? newSpanId() : id;
}
