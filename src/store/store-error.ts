/**
 * The one error type the store adds to whatever the driver throws: a write
 * that breaks a reference (`reference_not_found`) or a uniqueness rule
 * (`conflict`). The admin API maps these to 404/409; other failures (lost
 * connection, disk full) pass through unchanged, except that a database
 * that cannot be reached or did not answer in time becomes the retryable
 * `store_unavailable` of the error catalogue.
 */
import { GatewayError } from '../shared/errors.ts';

export type StoreErrorCode = 'reference_not_found' | 'conflict';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

export function isStoreError(error: unknown): error is StoreError {
  return error instanceof StoreError;
}

/** SQLite extended result codes (better-sqlite3 `code`) and PostgreSQL SQLSTATEs. */
const codes: Readonly<Record<string, StoreErrorCode>> = {
  SQLITE_CONSTRAINT_FOREIGNKEY: 'reference_not_found',
  SQLITE_CONSTRAINT_UNIQUE: 'conflict',
  SQLITE_CONSTRAINT_PRIMARYKEY: 'conflict',
  '23503': 'reference_not_found',
  '23505': 'conflict',
};

const messages: Readonly<Record<StoreErrorCode, string>> = {
  reference_not_found: 'a referenced record does not exist',
  conflict: 'a record with the same unique key already exists',
};

// SQLSTATE class 08 (connection exception), 57014 (statement_timeout), 57P01–57P03
// (shutdown, crash, starting up), 53300 (too many connections), and socket errors.
const outageCodes = new Set([
  '57014',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// node-postgres reports a dropped socket and its own timeouts without a code.
const outageMessages =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout)/;

/** The database is down, unreachable or too slow (as opposed to refusing this statement). */
export function isStoreOutage(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = 'code' in error ? String(error.code) : '';
  if (outageCodes.has(code) || code.startsWith('08')) return true;
  const message = 'message' in error ? String(error.message) : '';
  if (outageMessages.test(message)) return true;
  return error instanceof AggregateError && error.errors.some(isStoreOutage);
}

/**
 * Rethrows constraint violations as StoreError and an unreachable or slow
 * database as `store_unavailable`, naming the operation.
 */
export function toStoreError(operation: string, error: unknown): unknown {
  if (isStoreOutage(error))
    return new GatewayError(
      'store_unavailable',
      `${operation}: the database cannot be reached or did not answer in time`,
      { cause: error },
    );
  const driverCode =
    typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const code = codes[driverCode];
  if (code === undefined) return error;
  return new StoreError(code, `${operation}: ${messages[code]}`, { cause: error });
}
