/**
 * The client- and upstream-chosen strings of a record, made safe to store,
 * export and trace: a method, tool name or URI is a label, not a payload, so
 * it is cut short; control characters and Unicode line separators are
 * written as `\uXXXX` (an NDJSON line, a CSV row and a terminal stay one
 * line, no escape sequence reaches a reader); credentials in an upstream's
 * error text, in a URI's userinfo or in its secret-looking query parameters
 * (an OAuth `code`, a `token`) are masked (redaction.ts). Runs in place and
 * is idempotent, so the span and the stored record show the same values.
 */
import { redactCredentialsInText, scrubUris } from './redaction.ts';
import type { RequestRecord } from './request-record.ts';

export const MAX_METHOD_LENGTH = 256;
export const MAX_TARGET_LENGTH = 1024;
export const MAX_ERROR_MESSAGE_LENGTH = 200;

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex -- as above
const UNSAFE_TEST = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const escapeUnsafe = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

function bounded(text: string, max: number): string {
  // At most `max` characters, the last one `…` when cut; never half a surrogate pair.
  let cut = UNSAFE_TEST.test(text) ? text.replace(UNSAFE, escapeUnsafe) : text;
  if (cut.length <= max) return cut;
  cut = cut.slice(0, max - 1);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** A tool name, prompt name or URI as a record or span may show it. */
export function cleanTarget(target: string): string {
  return bounded(redactCredentialsInText(scrubUris(target)), MAX_TARGET_LENGTH);
}

/** A JSON-RPC method as a record or span may show it. */
export const cleanMethod = (method: string): string => bounded(method, MAX_METHOD_LENGTH);

export function cleanRecord(record: RequestRecord): void {
  record.method = cleanMethod(record.method);
  if (record.target !== null) record.target = cleanTarget(record.target);
  if (record.errorMessage !== null)
    record.errorMessage = bounded(
      redactCredentialsInText(scrubUris(record.errorMessage)),
      MAX_ERROR_MESSAGE_LENGTH,
    );
  if (record.clientName !== null) record.clientName = bounded(record.clientName, 200);
  if (record.clientVersion !== null) record.clientVersion = bounded(record.clientVersion, 200);
}
