/**
 * Domain records as the store returns them. Every layer may import these
 * types; the store owns them because it is the bottom of the flow.
 */

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
    };

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
  readonly createdAt: Date;
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
