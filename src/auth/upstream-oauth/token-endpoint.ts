/**
 * The token endpoint plumbing shared by every grant: an openid-client
 * Configuration over the guarded fetch, client authentication, and the
 * translation of openid-client's errors into the catalogue.
 */
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { GatewayError, isGatewayError } from '../../shared/errors.ts';
import type { OAuthFetch } from './oauth-fetch.ts';
import type {
  AuthorizationServerMetadata,
  ClientRegistration,
  TokenSet,
} from './upstream-oauth-client.ts';

/**
 * HTTP Basic with each part percent-encoded by encodeURIComponent, as the MCP
 * SDKs and most ASes do: openid-client also encodes unreserved characters
 * such as `-` (`pre%2Dregistered`), which ASes that do not decode refuse.
 */
function clientSecretBasic(clientId: string, secret: string): oidc.ClientAuth {
  const credentials = Buffer.from(
    `${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`,
  ).toString('base64');
  return (_as, _client, _body, headers) => {
    headers.set('authorization', `Basic ${credentials}`);
  };
}

async function clientAuthentication(registration: ClientRegistration): Promise<oidc.ClientAuth> {
  switch (registration.tokenEndpointAuthMethod) {
    case 'client_secret_basic':
      return clientSecretBasic(registration.clientId, registration.clientSecret ?? '');
    case 'client_secret_post':
      return oidc.ClientSecretPost(registration.clientSecret);
    case 'private_key_jwt': {
      const algorithm = registration.signingAlgorithm ?? 'ES256';
      try {
        return oidc.PrivateKeyJwt(
          await jose.importPKCS8(registration.privateKeyPem ?? '', algorithm),
        );
      } catch (error) {
        throw new GatewayError(
          'upstream_oauth_error',
          `private_key_jwt needs a PKCS#8 PEM ${algorithm} private key.`,
          { cause: error },
        );
      }
    }
    default:
      return oidc.None();
  }
}

export async function configuration(
  as: AuthorizationServerMetadata,
  registration: ClientRegistration,
  fetch: OAuthFetch,
): Promise<oidc.Configuration> {
  if (registration.issuer !== as.issuer) {
    // SEP-2352: a registration is bound to the AS that issued it.
    throw new GatewayError(
      'upstream_oauth_error',
      `The client registration belongs to ${registration.issuer}, not to ${as.issuer}; register again.`,
    );
  }
  const auth = await clientAuthentication(registration);
  const config = new oidc.Configuration(
    as as oidc.ServerMetadata,
    registration.clientId,
    undefined,
    auth,
  );
  config[oidc.customFetch] = (url, options) =>
    fetch(url, {
      method: options.method,
      headers: options.headers,
      body: options.body as string | URLSearchParams | null,
      signal: options.signal ?? null,
    });
  // The guarded fetch decides which plain-http addresses are allowed (allowlisted private ones only).
  oidc.allowInsecureRequests(config);
  return config;
}

function findGatewayError(error: unknown): GatewayError | undefined {
  for (
    let current = error, depth = 0;
    current !== undefined && current !== null && depth < 6;
    depth += 1
  ) {
    if (isGatewayError(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Maps openid-client's errors to the catalogue; `invalid_grant` is its own code. */
export function translate(error: unknown, grant: string, issuer: string): GatewayError {
  const ours = findGatewayError(error);
  if (ours !== undefined) return ours;
  if (error instanceof oidc.ResponseBodyError) {
    const description = error.error_description === undefined ? '' : `: ${error.error_description}`;
    const message = `The token endpoint of ${issuer} refused ${grant} (${error.status} ${error.error}${description}).`;
    if (error.error === 'invalid_grant') return new GatewayError('upstream_grant_invalid', message);
    if (error.status >= 500 || error.status === 429 || error.error === 'temporarily_unavailable') {
      return new GatewayError('upstream_oauth_unavailable', message);
    }
    return new GatewayError('upstream_oauth_error', message);
  }
  if (error instanceof oidc.WWWAuthenticateChallengeError) {
    // A 401 with a challenge: the client authentication failed (RFC 6749 §5.2 invalid_client).
    const parameters = error.cause[0]?.parameters ?? {};
    const code = parameters.error ?? 'invalid_client';
    const description =
      parameters.error_description === undefined ? '' : `: ${parameters.error_description}`;
    const message = `The token endpoint of ${issuer} refused ${grant} (${error.status} ${code}${description}).`;
    return new GatewayError(
      code === 'invalid_grant' ? 'upstream_grant_invalid' : 'upstream_oauth_error',
      message,
    );
  }
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Response && (cause.status >= 500 || cause.status === 429)) {
    return new GatewayError(
      'upstream_oauth_unavailable',
      `The token endpoint of ${issuer} answered ${cause.status} to ${grant}.`,
    );
  }
  if ((error as { code?: string }).code === 'OAUTH_TIMEOUT') {
    return new GatewayError(
      'upstream_oauth_unavailable',
      `The token endpoint of ${issuer} did not answer ${grant} in time.`,
    );
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new GatewayError('upstream_oauth_error', `At ${issuer}, ${grant} failed: ${reason}.`, {
    cause: error,
  });
}

export function toTokenSet(response: oidc.TokenEndpointResponse): TokenSet {
  if (response.token_type.toLowerCase() !== 'bearer') {
    throw new GatewayError(
      'upstream_oauth_error',
      `The token endpoint issued a ${response.token_type} token; only Bearer tokens are supported.`,
    );
  }
  return {
    accessToken: response.access_token,
    tokenType: 'Bearer',
    ...(typeof response.expires_in === 'number'
      ? { expiresAt: Date.now() + response.expires_in * 1000 }
      : {}),
    ...(typeof response.refresh_token === 'string' ? { refreshToken: response.refresh_token } : {}),
    ...(typeof response.scope === 'string' ? { scope: response.scope } : {}),
  };
}
