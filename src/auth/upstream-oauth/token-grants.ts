/**
 * The callback check and the token endpoint grants, on openid-client (which
 * does the request formats, client authentication and response validation)
 * with the guarded fetch underneath.
 *
 * The callback is checked here before openid-client sees it, so that each
 * failure gets its own clear error and `error_description` from a response
 * that fails the issuer check is never shown (MCP 2026-07-28
 * basic/authorization "Authorization Response Validation", RFC 9207 §2.4).
 */
import * as oidc from 'openid-client';
import { GatewayError } from '../../shared/errors.ts';
import type { OAuthFetch } from './oauth-fetch.ts';
import { configuration, toTokenSet, translate } from './token-endpoint.ts';
import type {
  AuthorizationServerMetadata,
  ClientCredentialsOptions,
  ClientRegistration,
  PendingAuthorization,
  RefreshOptions,
  TokenSet,
} from './upstream-oauth-client.ts';

function failed(message: string): GatewayError {
  return new GatewayError('upstream_authorization_failed', message);
}

/** State, iss and error of the authorization response, in that order. */
export function checkCallback(
  as: AuthorizationServerMetadata,
  pending: PendingAuthorization,
  params: URLSearchParams,
): string {
  if (pending.issuer !== as.issuer) {
    throw failed(`The authorization was started at ${pending.issuer}, not at ${as.issuer}.`);
  }
  if (params.get('state') !== pending.state) {
    throw failed(
      'The authorization response state does not match this authorization; start again.',
    );
  }
  const iss = params.get('iss');
  if (iss === null && as.authorization_response_iss_parameter_supported === true) {
    throw failed(
      `The authorization response lacks the iss parameter that ${as.issuer} advertises (RFC 9207).`,
    );
  }
  if (iss !== null && iss !== pending.issuer) {
    // RFC 9207 §2.4: simple string comparison; do not show the response's error_description.
    throw failed(
      `The authorization response comes from issuer "${iss}", not ${pending.issuer} (RFC 9207).`,
    );
  }
  const error = params.get('error');
  if (error !== null) {
    const description = params.get('error_description');
    throw failed(
      `The upstream authorization server answered ${error}${description === null ? '' : `: ${description}`}.`,
    );
  }
  const code = params.get('code');
  if (code === null || code === '' || params.getAll('code').length !== 1) {
    throw failed('The authorization response carries no single code.');
  }
  return code;
}

export async function exchangeCode(
  fetch: OAuthFetch,
  as: AuthorizationServerMetadata,
  registration: ClientRegistration,
  pending: PendingAuthorization,
  callbackUrl: string | URL,
): Promise<TokenSet> {
  let callback: URL;
  try {
    callback = new URL(String(callbackUrl));
  } catch {
    throw failed('The callback URL is not a URL.');
  }
  checkCallback(as, pending, callback.searchParams);
  const config = await configuration(as, registration, fetch);
  // openid-client derives redirect_uri from the URL it is given: give it the registered one.
  const current = new URL(pending.redirectUri);
  current.search = callback.search;
  try {
    const response = await oidc.authorizationCodeGrant(
      config,
      current,
      { pkceCodeVerifier: pending.codeVerifier, expectedState: pending.state },
      pending.resource === undefined ? undefined : { resource: pending.resource },
    );
    return toTokenSet(response);
  } catch (error) {
    throw translate(error, 'the authorization_code grant', as.issuer);
  }
}

function grantParameters(
  options: RefreshOptions | ClientCredentialsOptions,
): Record<string, string> {
  return {
    ...(options.resource === undefined ? {} : { resource: options.resource }),
    ...(options.scopes === undefined || options.scopes.length === 0
      ? {}
      : { scope: options.scopes.join(' ') }),
  };
}

export async function refresh(
  fetch: OAuthFetch,
  as: AuthorizationServerMetadata,
  registration: ClientRegistration,
  refreshToken: string,
  options: RefreshOptions = {},
): Promise<TokenSet> {
  if (refreshToken === '')
    throw new GatewayError(
      'upstream_grant_invalid',
      'There is no refresh token; connect the account again.',
    );
  const config = await configuration(as, registration, fetch);
  try {
    return toTokenSet(await oidc.refreshTokenGrant(config, refreshToken, grantParameters(options)));
  } catch (error) {
    throw translate(error, 'the refresh_token grant', as.issuer);
  }
}

export async function clientCredentials(
  fetch: OAuthFetch,
  as: AuthorizationServerMetadata,
  registration: ClientRegistration,
  options: ClientCredentialsOptions = {},
): Promise<TokenSet> {
  if (registration.clientSecret === undefined && registration.privateKeyPem === undefined) {
    throw new GatewayError(
      'upstream_oauth_error',
      'The client_credentials grant needs a client with a secret or a private key.',
    );
  }
  const config = await configuration(as, registration, fetch);
  try {
    return toTokenSet(await oidc.clientCredentialsGrant(config, grantParameters(options)));
  } catch (error) {
    throw translate(error, 'the client_credentials grant', as.issuer);
  }
}

/** RFC 7009; an AS without a revocation endpoint has nothing to revoke. */
export async function revoke(
  fetch: OAuthFetch,
  as: AuthorizationServerMetadata,
  registration: ClientRegistration,
  token: string,
  hint?: 'access_token' | 'refresh_token',
): Promise<void> {
  if (typeof as.revocation_endpoint !== 'string' || token === '') return;
  const config = await configuration(as, registration, fetch);
  try {
    await oidc.tokenRevocation(
      config,
      token,
      hint === undefined ? undefined : { token_type_hint: hint },
    );
  } catch (error) {
    throw translate(error, 'the revocation request', as.issuer);
  }
}
