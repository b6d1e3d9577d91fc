/**
 * The store port, in domain verbs. Core code depends on this interface only;
 * the Kysely adapters (SQLite, PostgreSQL) are chosen in src/main.ts.
 * One contract suite (store.contract.ts) runs against every adapter.
 *
 * Writes that break a reference or a uniqueness rule reject with a StoreError
 * (store-error.ts) and write nothing.
 */
import type { RequestRecord } from '../telemetry/request-record.ts';
import type {
  ApiKey,
  BrowserSession,
  Invitation,
  Member,
  OAuthArtefact,
  Role,
  ServerDefinition,
  SigningKey,
  UpstreamAuth,
  User,
  Workspace,
} from './model.ts';

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
  requestRecords: {
    /** Batched insert; one statement per batch where the dialect allows. */
    insertMany(records: readonly RequestRecord[]): Promise<void>;
    list(query: RequestRecordQuery): Promise<RequestRecord[]>;
    count(query: RequestRecordQuery): Promise<number>;
  };
}
