/**
 * The authorization request toward an upstream AS (OAuth 2.1 §4.1.1):
 * PKCE S256, a fresh `state`, RFC 8707 `resource`, and the scopes chosen by
 * discovery. `offline_access` is added when the AS lists it, so that a
 * refresh token is issued (SEP-2207); an AS that does not list it never
 * gets it.
 */
import * as oidc from 'openid-client';
import { GatewayError } from '../../shared/errors.ts';
import type {
  AuthorizationRequest,
  AuthorizationRequestOptions,
  AuthorizationServerMetadata,
  ClientRegistration,
} from './upstream-oauth-client.ts';

/** Parameters a quirk may not replace: they carry the request's security properties. */
const reserved = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'code_challenge',
  'code_challenge_method',
  'resource',
  'scope',
]);

export function requestedScopes(
  as: AuthorizationServerMetadata,
  scopes: readonly string[],
): string[] {
  const chosen = [...new Set(scopes)];
  if (
    as.scopes_supported?.includes('offline_access') === true &&
    !chosen.includes('offline_access')
  ) {
    chosen.push('offline_access');
  }
  return chosen;
}

export async function buildAuthorizationRequest(
  as: AuthorizationServerMetadata,
  registration: ClientRegistration,
  options: AuthorizationRequestOptions,
  isHttpAllowed: (url: URL) => boolean,
): Promise<AuthorizationRequest> {
  if (registration.issuer !== as.issuer) {
    throw new GatewayError(
      'upstream_oauth_error',
      `The client registration belongs to ${registration.issuer}, not to ${as.issuer}; register again.`,
    );
  }
  if (typeof as.authorization_endpoint !== 'string') {
    throw new GatewayError(
      'upstream_oauth_error',
      `The authorization server ${as.issuer} has no authorization_endpoint.`,
    );
  }
  if (!as.code_challenge_methods_supported?.includes('S256')) {
    throw new GatewayError(
      'upstream_oauth_error',
      `The authorization server ${as.issuer} does not support PKCE S256.`,
    );
  }
  const url = new URL(as.authorization_endpoint);
  // The browser is sent there: never javascript:, data: or a plain-http public host.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isHttpAllowed(url))) {
    throw new GatewayError(
      'upstream_oauth_error',
      `The authorization endpoint ${url.origin}${url.pathname} is not an https URL.`,
    );
  }
  const quirks = options.quirks ?? {};
  const scopes = requestedScopes(as, quirks.scopes ?? options.scopes ?? []);
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const resource = quirks.omitResource === true ? undefined : options.resource;

  for (const [name, value] of Object.entries(quirks.extraAuthorizeParams ?? {})) {
    if (!reserved.has(name)) url.searchParams.set(name, value);
  }
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', registration.clientId);
  url.searchParams.set('redirect_uri', options.redirectUri);
  url.searchParams.set('code_challenge', await oidc.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  if (scopes.length > 0) url.searchParams.set('scope', scopes.join(' '));
  if (resource !== undefined) url.searchParams.set('resource', resource);

  return {
    url: url.href,
    pending: {
      issuer: as.issuer,
      state,
      codeVerifier,
      redirectUri: options.redirectUri,
      ...(resource === undefined ? {} : { resource }),
      scopes,
      createdAt: Date.now(),
    },
  };
}
