/**
 * The one error type the store adds to whatever the driver throws: a write
 * that breaks a reference (`reference_not_found`) or a uniqueness rule
 * (`conflict`). The admin API maps these to 404/409; other failures (lost
 * connection, disk full) pass through unchanged.
 */
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

/** Rethrows constraint violations as StoreError, naming the operation. */
export function toStoreError(operation: string, error: unknown): unknown {
  const driverCode =
    typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const code = codes[driverCode];
  if (code === undefined) return error;
  return new StoreError(code, `${operation}: ${messages[code]}`, { cause: error });
}
