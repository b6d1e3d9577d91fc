/**
 * The store port, in domain verbs. Core code depends on this interface only;
 * the Kysely adapters (SQLite, PostgreSQL) are chosen in src/main.ts.
 * One contract suite (store.contract.ts) runs against every adapter.
 *
 * Writes that break a reference or a uniqueness rule reject with a StoreError
 * (store-error.ts) and write nothing.
 */
import type { RequestRecord } from '../telemetry/request-record.ts';
import type { ApiKey, Member, Role, ServerDefinition, User, Workspace } from './model.ts';

/** On update, an omitted (`undefined`) field keeps its stored value; `null` clears it. */
export interface UserInput {
  email: string;
  name?: string | null;
  passwordHash?: string | null;
}

export interface ServerInput {
  workspaceId: string;
  id: string;
  name: string;
  transport: ServerDefinition['transport'];
  url?: string | null;
  command?: string | null;
  args?: readonly string[];
  env?: Readonly<Record<string, string>>;
  cwd?: string | null;
  timeoutMs: number;
}

export interface ApiKeyInput {
  name: string;
  userId: string;
  workspaceId: string;
  keyHash: string;
  prefix: string;
  serverIds?: readonly string[] | null;
  expiresAt?: Date | null;
  /** Omitted keeps the stored value (a revoked key stays revoked); `null` un-revokes. */
  revokedAt?: Date | null;
}

export interface RequestRecordQuery {
  workspaceId?: string;
  serverId?: string;
  /** Inclusive lower bound on `time`. */
  since?: Date;
  /** `list` only: newest first, default 100. `count` ignores it. */
  limit?: number;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Brings the schema to the newest migration. Idempotent; resolves to the names it applied. */
  migrate(): Promise<string[]>;
  /** Cheap round trip used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * Runs `work` in one transaction on a store bound to it: committed when
   * `work` resolves, rolled back when it throws. Inside `work` use only `tx`
   * (on SQLite the outer store waits for the transaction's connection, so
   * using it there never returns). Nested calls join the outer transaction.
   */
  transaction<T>(work: (tx: Store) => Promise<T>): Promise<T>;

  users: {
    /** Creates or updates by email (case-insensitive). */
    upsert(input: UserInput): Promise<User>;
    findByEmail(email: string): Promise<User | undefined>;
    find(id: string): Promise<User | undefined>;
  };
  workspaces: {
    upsert(input: { id: string; name: string }): Promise<Workspace>;
    find(id: string): Promise<Workspace | undefined>;
    list(): Promise<Workspace[]>;
  };
  members: {
    upsert(input: { workspaceId: string; userId: string; role: Role }): Promise<Member>;
    list(workspaceId: string): Promise<Member[]>;
    /** Removing a non-member changes nothing. */
    remove(workspaceId: string, userId: string): Promise<void>;
  };
  servers: {
    upsert(input: ServerInput): Promise<ServerDefinition>;
    find(workspaceId: string, serverId: string): Promise<ServerDefinition | undefined>;
    list(workspaceId?: string): Promise<ServerDefinition[]>;
    remove(workspaceId: string, serverId: string): Promise<void>;
  };
  apiKeys: {
    /** Creates or updates by (workspaceId, name). */
    upsert(input: ApiKeyInput): Promise<ApiKey>;
    /** Finds revoked and expired keys too: the caller decides what they mean. */
    findByHash(keyHash: string): Promise<ApiKey | undefined>;
    list(workspaceId?: string): Promise<ApiKey[]>;
    /** Sets `revokedAt` once; revoking a revoked or unknown key changes nothing. */
    revoke(id: string, at: Date): Promise<void>;
  };
  requestRecords: {
    /** Batched insert; one statement per batch where the dialect allows. */
    insertMany(records: readonly RequestRecord[]): Promise<void>;
    list(query: RequestRecordQuery): Promise<RequestRecord[]>;
    count(query: RequestRecordQuery): Promise<number>;
  };
}
