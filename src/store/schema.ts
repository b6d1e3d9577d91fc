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
  /** Request record capture settings (telemetry/capture-settings.ts). */
  capture: Json;
  /** Environment variable → member secret name (stdio servers; migration 0011). */
  member_env: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MemberSecretsTable {
  workspace_id: string;
  server_id: string;
  user_id: string;
  name: string;
  /** Sealed by the vault (purpose `member-secret`). */
  sealed_value: string;
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
  client_id: string | null;
  client_name: string | null;
  client_version: string | null;
  arguments: string | null;
  result: string | null;
  trace_id: string | null;
}

export interface ServerPoliciesTable {
  workspace_id: string;
  server_id: string;
  version: number;
  document: Json;
  updated_by: string | null;
  updated_at: Timestamp;
}

export interface ToolPinsTable {
  workspace_id: string;
  server_id: string;
  tool: string;
  approved_hash: string | null;
  approved_definition: NullableJson;
  approved_by: string | null;
  approved_at: NullableTimestamp;
  seen_hash: string | null;
  seen_definition: NullableJson;
  seen_at: NullableTimestamp;
  blocked: BooleanColumn;
}

export interface UsageLimitsTable {
  id: string;
  workspace_id: string;
  name: string;
  server_id: string | null;
  tool: string | null;
  method: string | null;
  group_by: Json;
  period: string;
  limit_count: BigInteger;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Append-only; `seq` is assigned under the lock on `audit_head`. */
export interface AuditLogTable {
  seq: BigInteger;
  time: Timestamp;
  actor_kind: string;
  actor_id: string | null;
  actor_email: string | null;
  api_key_id: string | null;
  action: string;
  target_type: string;
  target_id: string;
  workspace_id: string | null;
  /** Canonical JSON text on both dialects: jsonb would re-encode what the hash covers. */
  before_json: string | null;
  after_json: string | null;
  source: string;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

/** One row (id 1): the last appended entry, locked by every append. */
export interface AuditHeadTable {
  id: number;
  seq: BigInteger;
  hash: string;
}

export interface UpstreamOAuthClientsTable {
  issuer: string;
  redirect_uri: string;
  client_id: string;
  client_secret: string | null;
  client_secret_expires_at: NullableTimestamp;
  method: string;
  token_endpoint_auth_method: string;
  created_at: Timestamp;
  workspace_id: string | null;
}

export interface UpstreamConnectionsTable {
  workspace_id: string;
  server_id: string;
  owner_id: string;
  user_id: string | null;
  issuer: string;
  access_token: string;
  refresh_token: string | null;
  token_type: string;
  expires_at: NullableTimestamp;
  scope: string | null;
  status: string;
  broken_reason: string | null;
  connected_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UpstreamAuthorizationsTable {
  state_hash: string;
  workspace_id: string;
  server_id: string;
  owner_id: string;
  user_id: string;
  pending: string;
  return_url: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface LeasesTable {
  key: string;
  holder: string;
  expires_at: Timestamp;
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
  upstream_oauth_clients: UpstreamOAuthClientsTable;
  upstream_connections: UpstreamConnectionsTable;
  upstream_authorizations: UpstreamAuthorizationsTable;
  leases: LeasesTable;
  audit_log: AuditLogTable;
  audit_head: AuditHeadTable;
  member_secrets: MemberSecretsTable;
  usage_limits: UsageLimitsTable;
  server_policies: ServerPoliciesTable;
  tool_pins: ToolPinsTable;
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
export type UsageLimitRow = Selectable<UsageLimitsTable>;
export type ServerPolicyRow = Selectable<ServerPoliciesTable>;
export type ToolPinRow = Selectable<ToolPinsTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
