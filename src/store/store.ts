/**
 * The store port, in domain verbs. Core code depends on this interface only;
 * the Kysely adapters (SQLite, PostgreSQL) are chosen in src/main.ts.
 * One contract suite (store.contract.ts) runs against every adapter.
 *
 * Writes that break a reference or a uniqueness rule reject with a StoreError
 * (store-error.ts) and write nothing.
 */
import type { RequestRecord } from '../telemetry/request-record.ts';
import type { CaptureSettings } from '../telemetry/capture-settings.ts';
import type {
  ApiKey,
  AuditEntry,
  BrowserSession,
  Invitation,
  Member,
  MemberEnvEntry,
  MemberSecret,
  OAuthArtefact,
  Role,
  ServerDefinition,
  ServerPolicyRecord,
  ToolPin,
  SigningKey,
  UsageGroup,
  UsageLimitRule,
  UsagePeriod,
  UpstreamAuth,
  User,
  Workspace,
} from './model.ts';
import type {
  UpstreamAuthorization,
  UpstreamConnection,
  UpstreamOAuthClientRecord,
} from './model.ts';

/** Saving a connection (new tokens) makes it `connected` again. */
export interface UpstreamConnectionInput {
  workspaceId: string;
  serverId: string;
  ownerId: string;
  issuer: string;
  accessToken: string;
  refreshToken: string | null;
  tokenType: string;
  expiresAt: Date | null;
  scope: string | null;
  /** Omitted keeps the stored value. */
  connectedBy?: string | null;
}

/** On update, an omitted (`undefined`) field keeps its stored value; `null` clears it. */
export interface UserInput {
  email: string;
  name?: string | null;
  passwordHash?: string | null;
  isAdmin?: boolean;
}

export interface MemberInput {
  workspaceId: string;
  userId: string;
  role: Role;
  /** Omitted keeps the stored access (every server for a new member); `null` means every server. */
  serverIds?: readonly string[] | null;
}

export interface InvitationInput {
  workspaceId: string;
  email: string;
  role: Role;
  serverIds: readonly string[] | null;
  tokenHash: string;
  invitedBy: string | null;
  expiresAt: Date;
}

export interface OAuthArtefactInput {
  payload: Readonly<Record<string, unknown>>;
  grantId?: string | null;
  uid?: string | null;
  userCode?: string | null;
  accountId?: string | null;
  clientId?: string | null;
  expiresAt?: Date | null;
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
  /** `{ mode: 'none', forwardIdentity: false }` when absent. */
  upstreamAuth?: UpstreamAuth;
  /** Variables set from each member's own secret; none when absent. */
  memberEnv?: Readonly<Record<string, MemberEnvEntry>>;
  /** Request record capture; `metadata` when absent. */
  capture?: CaptureSettings;
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

export interface ServerPolicyInput {
  workspaceId: string;
  serverId: string;
  document: Readonly<Record<string, unknown>>;
  updatedBy: string | null;
  expectedVersion?: number;
}

export interface ToolObservation {
  workspaceId: string;
  serverId: string;
  tool: string;
  hash: string;
  definition: Readonly<Record<string, unknown>>;
  at: Date;
  approveIfNew: boolean;
}

export interface UsageLimitInput {
  workspaceId: string;
  name: string;
  serverId: string | null;
  tool: string | null;
  method: string | null;
  groupBy: readonly UsageGroup[];
  period: UsagePeriod;
  limit: number;
}

export interface RequestRecordQuery {
  workspaceId?: string;
  serverId?: string;
  /** Inclusive lower bound on `time`. */
  since?: Date;
  /** Exclusive upper bound on `time`. */
  until?: Date;
  /** Records of these servers only (a caller's reachable servers). */
  serverIds?: readonly string[];
  /** Records of one principal (the member's user id). */
  principalId?: string;
  method?: string;
  /** Tool, resource or prompt (`target`). */
  target?: string;
  status?: RequestRecord['status'];
  /** Case-insensitive substring of the method, the target or the error message. */
  text?: string;
  /** `list` only: records strictly older than this (time, id) position, for cursor pagination. */
  before?: { readonly time: Date; readonly id: string };
  /** `list` only: newest first, default 100. `count` ignores it. */
  limit?: number;
}

/** One group of records (analytics): the grouping columns' values, then figures over the group. */
export interface RequestRecordGroup {
  readonly keys: ReadonlyArray<string | number | null>;
  readonly requests: number;
  readonly errors: number;
  /** Errors the upstream caused (unreachable, timed out, broke the protocol). */
  readonly upstreamFailures: number;
  readonly avgLatencyMs: number;
  readonly firstTime: Date;
  readonly lastTime: Date;
}

/** `server`: server_id; `tool`: server_id, target; `member`: principal_id; `error`: error_code, error_message. */
export type RequestRecordDimension = 'server' | 'tool' | 'member' | 'error';

export interface RequestRecordBucket {
  readonly start: Date;
  readonly requests: number;
  readonly errors: number;
}

export interface RequestRecordLatency {
  readonly time: Date;
  readonly serverId: string;
  readonly method: string;
  readonly target: string | null;
  readonly latencyMs: number;
}

/** An audit entry before the log gives it its place (`seq`) and hashes. */
export interface AuditEntryInput {
  time: Date;
  actorKind: AuditEntry['actorKind'];
  actorId: string | null;
  actorEmail: string | null;
  apiKeyId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  workspaceId: string | null;
  /** JSON values, secrets already masked. */
  before: unknown;
  after: unknown;
  source: AuditEntry['source'];
  requestId: string | null;
}

export interface AuditQuery {
  workspaceId?: string;
  /** A user id or email (API keys act as their user). */
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  /** Inclusive lower bound on `time`. */
  since?: Date;
  /** Exclusive upper bound on `time`. */
  until?: Date;
  /** Entries strictly older than this one (cursor pagination). */
  beforeSeq?: number;
  /** Newest first, default 100. */
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

  /** The tamper-evident audit log (src/audit): append-only, hash-chained. */
  auditLog: {
    /**
     * Takes the append lock for the rest of the transaction (PostgreSQL; a
     * SQLite transaction holds the write lock already). Writers lock before
     * their first audited write, so the lock order is always head first.
     */
    lock(): Promise<void>;
    /**
     * Appends at the head under the lock: `seq` is the head's + 1, `prevHash`
     * the head's hash, `hash` what `hashOf` computes of the rest. Concurrent
     * appends take turns and never fork the chain.
     */
    append(
      input: AuditEntryInput,
      hashOf: (entry: Omit<AuditEntry, 'hash'>) => string,
    ): Promise<AuditEntry>;
    list(query: AuditQuery): Promise<AuditEntry[]>;
    /** Oldest first, entries after `afterSeq` (for verification). */
    listChain(afterSeq: number, limit: number): Promise<AuditEntry[]>;
    /** The last appended entry's seq and hash as the head records them (0 and genesis when empty). */
    head(): Promise<{ seq: number; hash: string }>;
  };
  /** The gateway's client registrations at upstream authorization servers. */
  upstreamClients: {
    find(issuer: string, redirectUri: string): Promise<UpstreamOAuthClientRecord | undefined>;
    /** Creates or replaces by (issuer, redirectUri). */
    save(record: Omit<UpstreamOAuthClientRecord, 'createdAt'>): Promise<UpstreamOAuthClientRecord>;
    list(): Promise<UpstreamOAuthClientRecord[]>;
    remove(issuer: string, redirectUri: string): Promise<void>;
  };
  /** Upstream OAuth connections; go with their server, workspace, or (per_user) member. */
  upstreamConnections: {
    find(
      workspaceId: string,
      serverId: string,
      ownerId: string,
    ): Promise<UpstreamConnection | undefined>;
    /** Every connection of one server, or of every server of a workspace. */
    list(workspaceId: string, serverId?: string): Promise<UpstreamConnection[]>;
    /** Connections owned by one member (per_user), across workspaces. */
    listForUser(userId: string): Promise<UpstreamConnection[]>;
    /** Creates or replaces by (workspaceId, serverId, ownerId); status `connected`. */
    save(input: UpstreamConnectionInput): Promise<UpstreamConnection>;
    /** Sets status `broken` with its reason; unknown connections change nothing. */
    markBroken(
      workspaceId: string,
      serverId: string,
      ownerId: string,
      reason: string,
      at: Date,
    ): Promise<void>;
    /** Resolves false when there was nothing to remove. */
    remove(workspaceId: string, serverId: string, ownerId: string): Promise<boolean>;
    /** Replaces the sealed tokens only (re-sealed under another secret key); nothing else changes. */
    reseal(
      workspaceId: string,
      serverId: string,
      ownerId: string,
      sealed: { accessToken: string; refreshToken: string | null },
    ): Promise<void>;
  };
  /** Upstream authorizations between redirect and callback. */
  upstreamAuthorizations: {
    create(input: Omit<UpstreamAuthorization, 'createdAt'>): Promise<UpstreamAuthorization>;
    /**
     * Removes and returns it, once: a second call, or a call after
     * `expiresAt`, resolves undefined.
     */
    consume(stateHash: string, now: Date): Promise<UpstreamAuthorization | undefined>;
    /** Resolves to the number removed. */
    removeExpired(now: Date): Promise<number>;
  };
  /** Short exclusive leases across instances (e.g. one token refresh at a time). */
  leases: {
    /** True when `holder` now holds `key` until `until`: it was free, expired, or already theirs. */
    acquire(key: string, holder: string, until: Date, now: Date): Promise<boolean>;
    /** Releases it if `holder` still holds it. */
    release(key: string, holder: string): Promise<void>;
  };
  users: {
    /** Creates or updates by email (case-insensitive). */
    upsert(input: UserInput): Promise<User>;
    findByEmail(email: string): Promise<User | undefined>;
    find(id: string): Promise<User | undefined>;
    /** Ordered by creation. */
    list(): Promise<User[]>;
    count(): Promise<number>;
    /**
     * Deletes the user with their memberships, API keys, browser sessions and
     * OAuth artefacts (those whose `accountId` is the user), in one
     * transaction. Invitations they sent stay, with `invitedBy` null.
     */
    remove(id: string): Promise<void>;
  };
  workspaces: {
    upsert(input: { id: string; name: string }): Promise<Workspace>;
    find(id: string): Promise<Workspace | undefined>;
    list(): Promise<Workspace[]>;
    /**
     * Deletes the workspace with its members, servers, API keys and
     * invitations; its request records stay (history). Unknown ids change nothing.
     */
    remove(id: string): Promise<void>;
  };
  members: {
    upsert(input: MemberInput): Promise<Member>;
    find(workspaceId: string, userId: string): Promise<Member | undefined>;
    list(workspaceId: string): Promise<Member[]>;
    /** Every membership of one user, across workspaces. */
    listForUser(userId: string): Promise<Member[]>;
    /** Removing a non-member changes nothing. */
    remove(workspaceId: string, userId: string): Promise<void>;
  };
  servers: {
    upsert(input: ServerInput): Promise<ServerDefinition>;
    find(workspaceId: string, serverId: string): Promise<ServerDefinition | undefined>;
    list(workspaceId?: string): Promise<ServerDefinition[]>;
    remove(workspaceId: string, serverId: string): Promise<void>;
    /**
     * Replaces only the given sealed parts (re-sealed under another secret
     * key); `updatedAt` is kept: the definition did not change.
     */
    updateSecrets(
      workspaceId: string,
      serverId: string,
      secrets: { env?: Record<string, string>; upstreamAuth?: UpstreamAuth },
    ): Promise<void>;
  };
  memberSecrets: {
    /** Sets (creates or replaces) the given names of one member's secrets of one server. */
    put(
      workspaceId: string,
      serverId: string,
      userId: string,
      sealedValues: Readonly<Record<string, string>>,
    ): Promise<void>;
    /** One member's secrets of one server, by name; every member's of every server when no key. */
    list(key?: { workspaceId: string; serverId: string; userId: string }): Promise<MemberSecret[]>;
    /** False when the member had no value of that name. */
    remove(workspaceId: string, serverId: string, userId: string, name: string): Promise<boolean>;
  };
  apiKeys: {
    /** Creates or updates by (workspaceId, name). */
    upsert(input: ApiKeyInput): Promise<ApiKey>;
    /** Finds revoked and expired keys too: the caller decides what they mean. */
    findByHash(keyHash: string): Promise<ApiKey | undefined>;
    list(workspaceId?: string): Promise<ApiKey[]>;
    find(id: string): Promise<ApiKey | undefined>;
    /** Sets `revokedAt` once; revoking a revoked or unknown key changes nothing. */
    revoke(id: string, at: Date): Promise<void>;
  };
  invitations: {
    create(input: InvitationInput): Promise<Invitation>;
    find(id: string): Promise<Invitation | undefined>;
    findByTokenHash(tokenHash: string): Promise<Invitation | undefined>;
    /** Newest first; accepted and revoked ones too. */
    list(workspaceId: string): Promise<Invitation[]>;
    /**
     * Marks it accepted, once: resolves false (and changes nothing) when it
     * was already accepted or revoked, so two acceptances cannot both win.
     */
    accept(id: string, at: Date): Promise<boolean>;
    /** Sets `revokedAt` once; revoking an accepted, revoked or unknown one changes nothing. */
    revoke(id: string, at: Date): Promise<void>;
  };
  browserSessions: {
    create(input: Omit<BrowserSession, 'createdAt' | 'lastSeenAt'>): Promise<BrowserSession>;
    /** Finds expired sessions too: the caller decides what they mean. */
    find(idHash: string): Promise<BrowserSession | undefined>;
    touch(idHash: string, lastSeenAt: Date, expiresAt: Date): Promise<void>;
    remove(idHash: string): Promise<void>;
    removeForUser(userId: string): Promise<void>;
    /** Resolves to the number removed. */
    removeExpired(now: Date): Promise<number>;
  };
  /** The authorization server's storage (oidc-provider adapter verbs). */
  oauthArtefacts: {
    /**
     * Creates or replaces by (model, id). A replace keeps `consumedAt`:
     * consumption is final.
     */
    upsert(model: string, id: string, input: OAuthArtefactInput): Promise<void>;
    /** Finds expired and consumed artefacts too: the caller decides what they mean. */
    find(model: string, id: string): Promise<OAuthArtefact | undefined>;
    findByUid(model: string, uid: string): Promise<OAuthArtefact | undefined>;
    findByUserCode(model: string, userCode: string): Promise<OAuthArtefact | undefined>;
    /** Sets `consumedAt` once; later calls keep the first time. */
    consume(model: string, id: string, at: Date): Promise<void>;
    destroy(model: string, id: string): Promise<void>;
    /** Destroys every artefact of every model issued under the grant. */
    revokeByGrantId(grantId: string): Promise<void>;
    /**
     * Unexpired artefacts (no expiry, or expiring after `now`) of one model for
     * one account (e.g. a user's Grants), newest first by first insertion.
     */
    listByAccount(model: string, accountId: string, now: Date): Promise<OAuthArtefact[]>;
    /** Every artefact of one model, expired ones too, by id (rotate-key re-seals client secrets). */
    listByModel(model: string): Promise<OAuthArtefact[]>;
    /** Resolves to the number removed. */
    removeExpired(now: Date): Promise<number>;
  };
  signingKeys: {
    /** Oldest first. */
    list(): Promise<SigningKey[]>;
    insert(key: Omit<SigningKey, 'createdAt' | 'retiredAt'>): Promise<SigningKey>;
    /** Sets `retiredAt` once; later calls keep the first time. */
    retire(kid: string, at: Date): Promise<void>;
    /** Replaces the sealed private key of `kid` (re-sealed under another secret key). */
    reseal(kid: string, sealedJwk: string): Promise<void>;
  };
  /** Server policy documents, every version kept; removed with their server. */
  serverPolicies: {
    /** The newest version, or undefined when the server has none. */
    current(workspaceId: string, serverId: string): Promise<ServerPolicyRecord | undefined>;
    /** The newest version of every server that has one. */
    listCurrent(): Promise<ServerPolicyRecord[]>;
    /**
     * Appends the next version. With `expectedVersion` (0: none yet), rejects
     * with a `conflict` StoreError and writes nothing when the newest differs.
     */
    save(input: ServerPolicyInput): Promise<ServerPolicyRecord>;
    /** Newest first. */
    history(workspaceId: string, serverId: string): Promise<ServerPolicyRecord[]>;
  };
  /** Tool pins per server (tool pinning); removed with their server. */
  toolPins: {
    list(workspaceId: string, serverId: string): Promise<ToolPin[]>;
    find(workspaceId: string, serverId: string, tool: string): Promise<ToolPin | undefined>;
    /**
     * Records the definition the upstream shows; with `approveIfNew`, a tool
     * with nothing approved yet is approved as seen (trust on first use).
     */
    observe(input: ToolObservation): Promise<ToolPin>;
    /** Approves the last seen definition and lifts a block; undefined when the tool was never seen. */
    approve(
      workspaceId: string,
      serverId: string,
      tool: string,
      by: string | null,
      at: Date,
    ): Promise<ToolPin | undefined>;
    /** Quarantines the tool until approved; undefined when the tool was never seen. */
    block(workspaceId: string, serverId: string, tool: string): Promise<ToolPin | undefined>;
  };
  usageLimits: {
    /** Creates or replaces by (workspaceId, name); a replace keeps `id` and `createdAt`. */
    upsert(input: UsageLimitInput): Promise<UsageLimitRule>;
    find(workspaceId: string, name: string): Promise<UsageLimitRule | undefined>;
    /** Ordered by workspace, then name. */
    list(workspaceId?: string): Promise<UsageLimitRule[]>;
    /** Resolves true when a rule was removed. */
    remove(workspaceId: string, name: string): Promise<boolean>;
  };
  requestRecords: {
    /** Batched insert; one statement per batch where the dialect allows. */
    insertMany(records: readonly RequestRecord[]): Promise<void>;
    list(query: RequestRecordQuery): Promise<RequestRecord[]>;
    count(query: RequestRecordQuery): Promise<number>;
    find(id: string): Promise<RequestRecord | undefined>;
    /** Deletes records with `time` before `cutoff`; resolves to the number removed. */
    removeOlderThan(cutoff: Date): Promise<number>;
    /** Requests and errors per bucket of `bucketMs` (aligned on the epoch), oldest first; empty buckets absent. */
    timeSeries(query: RequestRecordQuery, bucketMs: number): Promise<RequestRecordBucket[]>;
    /** Groups by a dimension, most requests first, at most `limit` groups. */
    groupBy(
      query: RequestRecordQuery,
      dimension: RequestRecordDimension,
      limit: number,
    ): Promise<RequestRecordGroup[]>;
    /** The times and latencies of the newest `limit` matching records, newest first (percentiles are computed by the caller). */
    latencies(query: RequestRecordQuery, limit: number): Promise<RequestRecordLatency[]>;
  };
}
