/** Who is calling: the result of authenticating one request. */
export interface Principal {
  readonly kind: 'api_key';
  /** Stable id the gateway binds sessions and limits to. */
  readonly id: string;
  readonly userId: string;
  readonly workspaceId: string;
  readonly apiKeyId: string | null;
}
