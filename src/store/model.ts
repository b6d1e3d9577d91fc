/**
 * Domain records as the store returns them. Every layer may import these
 * types; the store owns them because it is the bottom of the flow.
 */

import type { CaptureSettings } from '../telemetry/capture-settings.ts';

export type Role = 'owner' | 'admin' | 'member' | 'viewer';
export type Transport = 'http' | 'sse' | 'stdio';

export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
  /** Memory-hard hash (scrypt, PHC string); null for users who cannot sign in with a password. */
  readonly passwordHash: string | null;
  /** Instance administrator: may create workspaces and manage users across the instance. */
  readonly isAdmin: boolean;
  readonly createdAt: Date;
}

export interface Workspace {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

export interface Member {
  readonly workspaceId: string;
  readonly userId: string;
  readonly role: Role;
  /** Servers of the workspace this member may reach; null means every server. */
  readonly serverIds: readonly string[] | null;
}

/** An invitation to join a workspace, accepted through a one-time link. */
export interface Invitation {
  readonly id: string;
  readonly workspaceId: string;
  readonly email: string;
  readonly role: Role;
  /** Server access the member will get; null means every server. */
  readonly serverIds: readonly string[] | null;
  /** SHA-256 (hex) of the link's token; the token itself is shown once and never stored. */
  readonly tokenHash: string;
  readonly invitedBy: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly acceptedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** A signed-in browser (dashboard, sign-in and consent pages). */
export interface BrowserSession {
  /** SHA-256 (hex) of the cookie's random token. */
  readonly idHash: string;
  readonly userId: string;
  /** Random per session; pages embed it in forms, the API wants it in a header (CSRF). */
  readonly csrfToken: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly expiresAt: Date;
}

/**
 * One artefact of the OAuth authorization server (oidc-provider's models:
 * Session, Interaction, AuthorizationCode, AccessToken, RefreshToken, Grant,
 * Client, …), stored as its opaque payload plus the columns it is looked up by.
 */
export interface OAuthArtefact {
  /** oidc-provider model name, e.g. `AccessToken`. */
  readonly model: string;
  readonly id: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly grantId: string | null;
  readonly uid: string | null;
  readonly userCode: string | null;
  /** `payload.accountId` (a user id) where the model has one. */
  readonly accountId: string | null;
  /** `payload.clientId` where the model has one. */
  readonly clientId: string | null;
  readonly expiresAt: Date | null;
  readonly consumedAt: Date | null;
}

/** A key the authorization server signs tokens with; the private part sealed by the vault. */
export interface SigningKey {
  /** JWK `kid`. */
  readonly kid: string;
  readonly alg: string;
  /** The private JWK, sealed by the vault (envelope AES-256-GCM under PORTCULLIS_SECRET_KEY). */
  readonly sealedJwk: string;
  readonly createdAt: Date;
  /** Retired keys still verify tokens until they expire but sign nothing new. */
  readonly retiredAt: Date | null;
}

/**
 * How the gateway authenticates to an upstream. `headers` values are sealed
 * by the vault (purpose `server-header`); only the upstream registry opens
 * them. `forwardIdentity` adds a signed `X-Portcullis-Identity` JWT per call.
 */
export type UpstreamAuth =
  | { readonly mode: 'none'; readonly forwardIdentity: boolean }
  | {
      readonly mode: 'headers';
      /** Header name (as declared) → sealed value. */
      readonly headers: Readonly<Record<string, string>>;
      readonly forwardIdentity: boolean;
    }
  | {
      readonly mode: 'oauth';
      readonly oauth: UpstreamOAuthSettings;
      readonly forwardIdentity: boolean;
    };

/**
 * The gateway as an OAuth client of one upstream (`upstream_auth.mode: oauth`).
 * `per_user`: each member connects their own account; `shared`: an admin
 * connects one account the whole workspace uses; `client_credentials`: the
 * gateway's own client identity, no account.
 */
export interface UpstreamOAuthSettings {
  readonly grant: 'per_user' | 'shared' | 'client_credentials';
  /** A client registered by the admin at the upstream's AS; otherwise CIMD or DCR. */
  readonly clientId: string | null;
  /** Its secret, sealed by the vault (purpose `upstream-client-secret`). */
  readonly clientSecret: string | null;
  /** Replace the discovered scopes; empty means discovered ones. */
  readonly scopes: readonly string[];
  /** Do not send RFC 8707 `resource` (ASes that refuse unknown resources). */
  readonly omitResource: boolean;
  /** Extra authorization request parameters (e.g. `access_type=offline`). */
  readonly authorizeParams: Readonly<Record<string, string>>;
}

export interface ServerDefinition {
  readonly workspaceId: string;
  readonly id: string;
  readonly name: string;
  readonly transport: Transport;
  /** Upstream endpoint for `http` and `sse` servers. */
  readonly url: string | null;
  /** Process definition for `stdio` servers; admins' configuration only. */
  readonly command: string | null;
  readonly args: readonly string[];
  /** Environment for stdio servers: name → value, every value sealed by the vault. */
  readonly env: Readonly<Record<string, string>>;
  /** Working directory of a stdio server; null for the gateway's own. */
  readonly cwd: string | null;
  /** Per-server upstream timeout for one request, in milliseconds. */
  readonly timeoutMs: number;
  readonly upstreamAuth: UpstreamAuth;
  /**
   * Environment variables of a stdio server whose value is each member's own
   * secret (`{ member_secret: NAME }`): such a server runs one process per
   * member. Absent or empty: one process shared by every member.
   */
  readonly memberEnv?: Readonly<Record<string, MemberEnvEntry>>;
  /** What request records keep of this server's messages; `metadata` when absent. */
  readonly capture?: CaptureSettings;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface MemberEnvEntry {
  /** The member secret whose value the variable gets. */
  readonly secret: string;
  /** What the member should put there (shown to members). */
  readonly description: string | null;
}

/** One member's own value of one member secret of one server. */
export interface MemberSecret {
  readonly workspaceId: string;
  readonly serverId: string;
  readonly userId: string;
  readonly name: string;
  /** Sealed by the vault (purpose `member-secret`); never plaintext. */
  readonly sealedValue: string;
  readonly updatedAt: Date;
}

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly userId: string;
  readonly workspaceId: string;
  /** SHA-256 (hex) of the whole key. Keys are 256-bit random, so a fast hash is safe. */
  readonly keyHash: string;
  /** The first characters of the key, shown to admins to recognise it. */
  readonly prefix: string;
  /** Servers this key may reach; null means every server of the workspace. */
  readonly serverIds: readonly string[] | null;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly createdAt: Date;
}

/** How long one usage-limit window lasts (fixed windows aligned to UTC). */
export type UsagePeriod = 'minute' | 'hour' | 'day' | 'week';
/** What a usage limit counts separately; the workspace is always part of the key. */
export type UsageGroup = 'server' | 'tool' | 'member' | 'api_key';

/** A usage limit: at most `limit` matching requests per `period`, counted per group. */
export interface UsageLimitRule {
  readonly id: string;
  readonly workspaceId: string;
  /** Unique in its workspace; the declarative config and the API address rules by it. */
  readonly name: string;
  /** Matching: null matches any server, tool or method. */
  readonly serverId: string | null;
  readonly tool: string | null;
  readonly method: string | null;
  readonly groupBy: readonly UsageGroup[];
  readonly period: UsagePeriod;
  readonly limit: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** One version of a server's policy document (src/policy/server-policy-schema.ts validates it). */
export interface ServerPolicyRecord {
  readonly workspaceId: string;
  readonly serverId: string;
  /** 1 for the first document, one more for each change. */
  readonly version: number;
  readonly document: Readonly<Record<string, unknown>>;
  readonly updatedBy: string | null;
  readonly updatedAt: Date;
}

/** What the gateway knows of one tool of a server with pinning on. */
export interface ToolPin {
  readonly workspaceId: string;
  readonly serverId: string;
  /** The tool's name at the upstream. */
  readonly tool: string;
  /** SHA-256 of the approved definition's canonical JSON; null until one is approved. */
  readonly approvedHash: string | null;
  readonly approvedDefinition: Readonly<Record<string, unknown>> | null;
  readonly approvedBy: string | null;
  readonly approvedAt: Date | null;
  /** The definition the upstream showed last. */
  readonly seenHash: string | null;
  readonly seenDefinition: Readonly<Record<string, unknown>> | null;
  readonly seenAt: Date | null;
  /** Quarantined by an admin, whatever the definition. */
  readonly blocked: boolean;
}

/** Where an administrative change came from. */
export type AuditSource = 'api' | 'config' | 'cli';
/** `config`: a declarative config apply (actor id: the file); `system`: no acting person. */
export type AuditActorKind = 'user' | 'api_key' | 'config' | 'system';

/** The hash the first audit entry chains to. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/**
 * One administrative change. Entries form a hash chain (src/audit): `hash`
 * covers every other field and `prevHash`, the hash of entry `seq - 1`.
 * `before`/`after` are JSON with secrets masked; null when absent.
 */
export interface AuditEntry {
  readonly seq: number;
  readonly time: Date;
  readonly actorKind: AuditActorKind;
  /** The acting user's id (also for API keys), or the config file applied. */
  readonly actorId: string | null;
  readonly actorEmail: string | null;
  readonly apiKeyId: string | null;
  /** `<target type>.<verb>`, e.g. `server.update`. */
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string;
  readonly workspaceId: string | null;
  readonly before: unknown;
  readonly after: unknown;
  readonly source: AuditSource;
  readonly requestId: string | null;
  readonly prevHash: string;
  readonly hash: string;
}

/** The gateway's client identity at one upstream authorization server. */
export interface UpstreamOAuthClientRecord {
  /** The AS issuer, byte-exact: a registration is used with that AS only. */
  readonly issuer: string;
  readonly redirectUri: string;
  readonly clientId: string;
  /** Sealed by the vault (purpose `upstream-client-secret`); null for public clients. */
  readonly clientSecret: string | null;
  readonly clientSecretExpiresAt: Date | null;
  readonly method: 'pre_registered' | 'client_metadata_document' | 'dynamic';
  readonly tokenEndpointAuthMethod:
    'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  readonly createdAt: Date;
  /**
   * The workspace a client_credentials registration belongs to (it goes with
   * it); null for registrations shared by every workspace (authorization code).
   */
  readonly workspaceId?: string | null;
}

/** `ownerId` of connections that belong to the workspace (shared, client_credentials). */
export const WORKSPACE_OWNER = '';

/**
 * Tokens the gateway holds for one upstream server, owned by one member
 * (per_user) or by the workspace (`ownerId` = WORKSPACE_OWNER).
 */
export interface UpstreamConnection {
  readonly workspaceId: string;
  readonly serverId: string;
  readonly ownerId: string;
  readonly issuer: string;
  /** Sealed by the vault (purpose `upstream-access-token`). */
  readonly accessToken: string;
  /** Sealed by the vault (purpose `upstream-refresh-token`). */
  readonly refreshToken: string | null;
  readonly tokenType: string;
  readonly expiresAt: Date | null;
  readonly scope: string | null;
  /** `broken`: the grant was refused (revoked, expired); the owner must connect again. */
  readonly status: 'connected' | 'broken';
  readonly brokenReason: string | null;
  readonly connectedBy: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** An upstream authorization between the redirect and the callback; used once. */
export interface UpstreamAuthorization {
  /** SHA-256 (base64url) of the `state` sent to the AS. */
  readonly stateHash: string;
  readonly workspaceId: string;
  readonly serverId: string;
  readonly ownerId: string;
  /** The member who started it; only their browser may finish it. */
  readonly userId: string;
  /** The client's pending authorization (PKCE verifier), sealed (purpose `upstream-authorization`). */
  readonly pending: string;
  /** A path on this gateway to return to, or null for the "connected" page. */
  readonly returnUrl: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}
