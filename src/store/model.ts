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
  /** Environment for stdio servers: name → `{ value_env }` secret reference or literal non-secret value. */
  readonly env: Readonly<Record<string, string>>;
  /** Working directory of a stdio server; null for the gateway's own. */
  readonly cwd: string | null;
  /** Per-server upstream timeout for one request, in milliseconds. */
  readonly timeoutMs: number;
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
