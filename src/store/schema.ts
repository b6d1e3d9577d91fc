/**
 * The one Kysely table interface for both dialects. Columns whose runtime
 * type differs per dialect use the types below; dialect-codec.ts converts
 * them at the edge of each repository.
 */
import type { ColumnType, Selectable } from 'kysely';

/** `timestamptz` on PostgreSQL (Date), epoch milliseconds on SQLite (number). */
export type Timestamp = ColumnType<Date | number, Date | number, Date | number>;
export type NullableTimestamp = ColumnType<
  Date | number | null,
  Date | number | null | undefined,
  Date | number | null
>;
/** `jsonb` on PostgreSQL (parsed by pg), `text` on SQLite; always written as a JSON string. */
export type Json = ColumnType<unknown, string, string>;
export type NullableJson = ColumnType<unknown, string | null, string | null>;
/** `bigint` comes back from pg as a string. */
export type BigInteger = ColumnType<number | string | bigint, number, number>;

export interface UsersTable {
  id: string;
  email: string;
  /** Lower-cased email, unique: emails compare case-insensitively. */
  email_key: string;
  name: string | null;
  password_hash: string | null;
  created_at: Timestamp;
}

export interface WorkspacesTable {
  id: string;
  name: string;
  created_at: Timestamp;
}

export interface MembersTable {
  workspace_id: string;
  user_id: string;
  role: string;
  created_at: Timestamp;
}

export interface ServersTable {
  workspace_id: string;
  id: string;
  name: string;
  transport: string;
  url: string | null;
  command: string | null;
  args: Json;
  env: Json;
  cwd: string | null;
  timeout_ms: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  user_id: string;
  workspace_id: string;
  key_hash: string;
  prefix: string;
  server_ids: NullableJson;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  created_at: Timestamp;
}

export interface RequestRecordsTable {
  id: string;
  time: Timestamp;
  workspace_id: string;
  server_id: string;
  principal_kind: string;
  principal_id: string | null;
  api_key_id: string | null;
  method: string;
  target: string | null;
  era: string;
  protocol_version: string | null;
  session_tag: string | null;
  latency_ms: number;
  upstream_latency_ms: number | null;
  status: string;
  http_status: number;
  error_code: number | null;
  error_message: string | null;
  bytes_in: BigInteger;
  bytes_out: BigInteger;
}

export interface Database {
  users: UsersTable;
  workspaces: WorkspacesTable;
  members: MembersTable;
  servers: ServersTable;
  api_keys: ApiKeysTable;
  request_records: RequestRecordsTable;
}

export type UserRow = Selectable<UsersTable>;
export type ServerRow = Selectable<ServersTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type RequestRecordRow = Selectable<RequestRecordsTable>;
