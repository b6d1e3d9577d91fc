/**
 * Checks the `resource` of an authorization code token request against the
 * code before oidc-provider sees the request. oidc-provider consumes the
 * code first and checks the resource afterwards (issueTokens), so a wrong
 * resource would burn the code and the honest retry would count as a replay
 * that revokes the whole grant (RFC 6749 §4.1.2). RFC 8707 §2.2 asks for
 * `invalid_target` here; answering it before consumption keeps the code
 * usable.
 */

export interface StoredAuthorizationCode {
  clientId: string;
  consumed?: unknown;
  resourceIndicators: Set<string | undefined>;
}

export interface TokenResourceCheck {
  /** An `invalid_target` error body when the request names another resource than its code, else undefined. */
  refusal(
    form: URLSearchParams,
    authorization: string | undefined,
  ): Promise<{ error: 'invalid_target'; error_description: string } | undefined>;
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

export function createTokenResourceCheck(deps: {
  findCode(code: string): Promise<StoredAuthorizationCode | undefined>;
}): TokenResourceCheck {
  return {
    async refusal(form, authorization) {
      if (form.get('grant_type') !== 'authorization_code') return undefined;
      const code = form.get('code');
      const resources = form.getAll('resource');
      // Without a resource the granted one is used; anything else oidc-provider judges itself.
      if (code === null || code === '' || resources.length === 0) return undefined;
      const stored = await deps.findCode(code).catch(() => undefined);
      // A code of another client, or an already consumed one, is oidc-provider's to refuse
      // (a replay must still revoke its grant).
      if (stored === undefined || Boolean(stored.consumed)) return undefined;
      if (stored.clientId !== claimedClientId(form, authorization)) return undefined;
      if (resources.length > 1) {
        return {
          error: 'invalid_target',
          error_description: 'only one resource may be requested per token',
        };
      }
      if (stored.resourceIndicators.has(resources[0])) return undefined;
      return {
        error: 'invalid_target',
        error_description: 'the resource is not the one this authorization code was granted for',
      };
    },
  };
}
