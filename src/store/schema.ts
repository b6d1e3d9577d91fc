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
/** `boolean` on PostgreSQL, `integer` 0/1 on SQLite. */
export type BooleanColumn = ColumnType<
  boolean | number,
  boolean | number | undefined,
  boolean | number
>;
/** `bigint` comes back from pg as a string. */
export type BigInteger = ColumnType<number | string | bigint, number, number>;

export interface UsersTable {
  id: string;
  email: string;
  /** Lower-cased email, unique: emails compare case-insensitively. */
  email_key: string;
  name: string | null;
  password_hash: string | null;
  is_admin: BooleanColumn;
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
  server_ids: NullableJson;
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
  upstream_auth: Json;
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

export interface InvitationsTable {
  id: string;
  workspace_id: string;
  email: string;
  email_key: string;
  role: string;
  server_ids: NullableJson;
  token_hash: string;
  invited_by: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  accepted_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface BrowserSessionsTable {
  id_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  expires_at: Timestamp;
}

export interface OAuthArtefactsTable {
  model: string;
  id: string;
  payload: Json;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  account_id: string | null;
  client_id: string | null;
  expires_at: NullableTimestamp;
  consumed_at: NullableTimestamp;
  /** Insertion time, kept on replace: the order of listByAccount. */
  created_at: Timestamp;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  sealed_jwk: string;
  created_at: Timestamp;
  retired_at: NullableTimestamp;
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
  invitations: InvitationsTable;
  browser_sessions: BrowserSessionsTable;
  oauth_artefacts: OAuthArtefactsTable;
  signing_keys: SigningKeysTable;
  request_records: RequestRecordsTable;
}

export type UserRow = Selectable<UsersTable>;
export type ServerRow = Selectable<ServersTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type MemberRow = Selectable<MembersTable>;
export type InvitationRow = Selectable<InvitationsTable>;
export type BrowserSessionRow = Selectable<BrowserSessionsTable>;
export type OAuthArtefactRow = Selectable<OAuthArtefactsTable>;
export type SigningKeyRow = Selectable<SigningKeysTable>;
export type RequestRecordRow = Selectable<RequestRecordsTable>;
