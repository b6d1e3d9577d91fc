/**
 * Every difference between the SQLite and PostgreSQL adapters that is not
 * handled by Kysely itself: column types used by the migrations, and how
 * timestamps, JSON and 64-bit integers cross the driver boundary.
 */
export type StoreDialect = 'sqlite' | 'postgres';

export interface DialectCodec {
  readonly dialect: StoreDialect;
  readonly timestampType: 'timestamptz' | 'bigint';
  readonly jsonType: 'jsonb' | 'text';
  /** SQLite has no boolean type and better-sqlite3 binds no JS booleans: 0/1 there. */
  readonly booleanType: 'boolean' | 'integer';
  toBoolean(value: boolean): boolean | number;
  fromBoolean(value: boolean | number): boolean;
  toTimestamp(date: Date): Date | number;
  fromTimestamp(value: Date | number | string): Date;
  fromNullableTimestamp(value: Date | number | string | null): Date | null;
  toJson(value: unknown): string;
  fromJson(value: unknown): unknown;
  /** pg returns `bigint` and `count(*)` as strings. */
  toNumber(value: number | string | bigint): number;
}

function fromNullable(codec: Pick<DialectCodec, 'fromTimestamp'>) {
  return (value: Date | number | string | null) =>
    value === null ? null : codec.fromTimestamp(value);
}

const sqlite = {
  dialect: 'sqlite',
  timestampType: 'bigint',
  jsonType: 'text',
  booleanType: 'integer',
  toBoolean: (value: boolean) => (value ? 1 : 0),
  fromBoolean: (value: boolean | number) => value === 1 || value === true,
  toTimestamp: (date: Date) => date.getTime(),
  fromTimestamp: (value: Date | number | string) => new Date(Number(value)),
  toJson: (value: unknown) => JSON.stringify(value),
  fromJson: (value: unknown): unknown => JSON.parse(String(value)),
  toNumber: Number,
} as const;

// pg serialises a JS array as a PostgreSQL array literal, so JSON is always
// sent as text; jsonb comes back parsed.
const postgres = {
  dialect: 'postgres',
  timestampType: 'timestamptz',
  jsonType: 'jsonb',
  booleanType: 'boolean',
  toBoolean: (value: boolean) => value,
  fromBoolean: (value: boolean | number) => value === true,
  toTimestamp: (date: Date) => date,
  fromTimestamp: (value: Date | number | string) =>
    value instanceof Date ? value : new Date(value),
  toJson: (value: unknown) => JSON.stringify(value),
  fromJson: (value: unknown): unknown => value,
  toNumber: Number,
} as const;

export const dialectCodecs: Readonly<Record<StoreDialect, DialectCodec>> = {
  sqlite: { ...sqlite, fromNullableTimestamp: fromNullable(sqlite) },
  postgres: { ...postgres, fromNullableTimestamp: fromNullable(postgres) },
};
