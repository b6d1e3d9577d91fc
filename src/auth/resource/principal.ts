/** Who is calling: the result of authenticating one request. */
export interface Principal {
  /** `api_key` for workspace API keys, `user` for OAuth access tokens the gateway issued. */
  readonly kind: 'api_key' | 'user';
  /**
   * Stable id the gateway binds sessions and limits to: the API key, or the
   * (user, OAuth client) pair, so a refreshed token keeps its sessions.
   */
  readonly id: string;
  readonly userId: string;
  /** The workspace an API key belongs to; null for OAuth tokens (bound to one resource instead). */
  readonly workspaceId: string | null;
  readonly apiKeyId: string | null;
  /** The OAuth client the access token was issued to. */
  readonly clientId: string | null;
}
