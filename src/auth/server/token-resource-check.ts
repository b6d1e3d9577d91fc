/**
 * Checks the `resource` of a token request (authorization code or refresh
 * token) against the stored code or refresh token before oidc-provider sees
 * the request. oidc-provider consumes the code, or rotates the refresh token,
 * first and checks the resource afterwards (issueTokens, refresh_token.js),
 * so a refused request would burn the credential and the honest retry would
 * count as a replay that revokes the whole grant (RFC 6749 §4.1.2, OAuth 2.1
 * §4.3.1). RFC 8707 §2.2 asks for `invalid_target` here; answering it before
 * consumption keeps the credential usable.
 *
 * The same goes for an account that can no longer reach the server the token
 * would be for (removed from the workspace, narrowed to other servers): the
 * request gets `invalid_grant` at once (RFC 6749 §5.2), and the credential
 * works again if access is given back.
 */

/** A stored authorization code or refresh token, as oidc-provider finds it. */
export interface StoredTokenCredential {
  clientId: string;
  accountId?: string;
  consumed?: unknown;
  resourceIndicators: Set<string | undefined>;
}

export type TokenRequestRefusal = {
  error: 'invalid_target' | 'invalid_grant';
  error_description: string;
};

export interface TokenResourceCheck {
  /** An error body when the request must be refused before the credential is consumed, else undefined. */
  refusal(
    form: URLSearchParams,
    authorization: string | undefined,
  ): Promise<TokenRequestRefusal | undefined>;
}

/** The client the request claims to be: `client_id` in the form, else the Basic user name (RFC 6749 §2.3.1). */
function claimedClientId(form: URLSearchParams, authorization: string | undefined): string | null {
  const inForm = form.get('client_id');
  if (inForm !== null) return inForm;
  const basic = /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization?.trim() ?? '');
  if (basic?.[1] === undefined) return null;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return null;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, '%20'));
  } catch {
    return null;
  }
}

/** Which stored credential a grant type presents, and in which form field. */
const CREDENTIAL_FIELDS: Record<string, { field: string; kind: 'code' | 'refresh' }> = {
  authorization_code: { field: 'code', kind: 'code' },
  refresh_token: { field: 'refresh_token', kind: 'refresh' },
};

export function createTokenResourceCheck(deps: {
  findCode(code: string): Promise<StoredTokenCredential | undefined>;
  findRefreshToken(token: string): Promise<StoredTokenCredential | undefined>;
  /** True while the account may reach the MCP server the resource URL names. */
  mayReach(accountId: string, resource: string): Promise<boolean>;
}): TokenResourceCheck {
  return {
    async refusal(form, authorization) {
      const presented = CREDENTIAL_FIELDS[form.get('grant_type') ?? ''];
      if (presented === undefined) return undefined;
      const value = form.get(presented.field);
      if (value === null || value === '') return undefined;
      const lookup =
        presented.kind === 'code' ? deps.findCode(value) : deps.findRefreshToken(value);
      const stored = await lookup.catch(() => undefined);
      // Another client's credential, or an already consumed one, is oidc-provider's to refuse
      // (a replay must still revoke its grant).
      if (stored === undefined || Boolean(stored.consumed)) return undefined;
      if (stored.clientId !== claimedClientId(form, authorization)) return undefined;
      const resources = form.getAll('resource');
      const what = presented.kind === 'code' ? 'authorization code' : 'refresh token';
      if (resources.length > 1) {
        return {
          error: 'invalid_target',
          error_description: 'only one resource may be requested per token',
        };
      }
      if (resources.length === 1 && !stored.resourceIndicators.has(resources[0])) {
        return {
          error: 'invalid_target',
          error_description: `the resource is not the one this ${what} was granted for`,
        };
      }
      // Without a resource the granted one is used (useGrantedResource); one per credential.
      const resource = resources[0] ?? [...stored.resourceIndicators][0];
      if (stored.accountId !== undefined && resource !== undefined) {
        if (!(await deps.mayReach(stored.accountId, resource))) {
          return {
            error: 'invalid_grant',
            error_description: `the account no longer has access to the server this ${what} is for`,
          };
        }
      }
      return undefined;
    },
  };
}
