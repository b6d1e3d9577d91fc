/**
 * Client registration at an upstream AS, in the order MCP 2026-07-28
 * basic/authorization/client-registration prescribes: a pre-registered
 * client, else the gateway's client ID metadata document when the AS says
 * `client_id_metadata_document_supported`, else dynamic registration
 * (RFC 7591), else an error asking an admin to pre-register.
 *
 * A metadata document is only usable from an https URL (the AS fetches it
 * and the draft requires https), so a gateway on a plain-http public URL
 * (local development) registers dynamically instead.
 */
import { GatewayError } from '../../shared/errors.ts';
import type { OAuthFetch } from './oauth-fetch.ts';
import type {
  AuthorizationServerMetadata,
  ClientRegistration,
  RegisterOptions,
  TokenEndpointAuthMethod,
} from './upstream-oauth-client.ts';

export interface RegistrationDeps {
  readonly fetch: OAuthFetch;
  /** The gateway's client ID metadata document URL (its client_id under CIMD). */
  readonly clientMetadataUrl: string;
  readonly clientName: string;
}

const authMethods: readonly TokenEndpointAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'none',
];

function isAuthMethod(value: unknown): value is TokenEndpointAuthMethod {
  return typeof value === 'string' && (authMethods as readonly string[]).includes(value);
}

/** RFC 8414 §2: absent means client_secret_basic. A secret beats none: the gateway is a confidential client. */
function chooseAuthMethod(as: AuthorizationServerMetadata): TokenEndpointAuthMethod {
  const supported = as.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  const choice = authMethods.find((method) => supported.includes(method));
  if (choice === undefined) {
    throw new GatewayError(
      'upstream_oauth_error',
      `The authorization server ${as.issuer} supports none of the token endpoint auth methods ${authMethods.join(', ')} (it lists ${supported.join(', ')}).`,
    );
  }
  return choice;
}

/** MCP 2026-07-28: `native` for loopback redirects, `web` otherwise. */
function applicationType(redirectUri: string): 'web' | 'native' {
  const host = new URL(redirectUri).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' ? 'native' : 'web';
}

async function registerDynamically(
  deps: RegistrationDeps,
  as: AuthorizationServerMetadata,
  endpoint: string,
  options: RegisterOptions,
): Promise<ClientRegistration> {
  const clientCredentials = options.grantType === 'client_credentials';
  const method = clientCredentials ? 'client_secret_basic' : chooseAuthMethod(as);
  const request = {
    client_name: deps.clientName,
    redirect_uris: clientCredentials ? [] : [options.redirectUri],
    grant_types: clientCredentials
      ? ['client_credentials']
      : ['authorization_code', 'refresh_token'],
    response_types: clientCredentials ? [] : ['code'],
    token_endpoint_auth_method: method,
    application_type: applicationType(options.redirectUri),
    ...(options.scopes !== undefined && options.scopes.length > 0
      ? { scope: options.scopes.join(' ') }
      : {}),
  };
  const response = await deps.fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(request),
  });
  const text = await response.text();
  if (response.status === 429 || response.status >= 500) {
    throw new GatewayError(
      'upstream_oauth_unavailable',
      `Dynamic registration at ${endpoint} answered ${response.status}.`,
    );
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new GatewayError(
      'upstream_oauth_error',
      `Dynamic registration at ${endpoint} answered ${response.status} without JSON.`,
    );
  }
  if (response.status !== 201 && response.status !== 200) {
    const error = typeof body.error === 'string' ? body.error : 'unknown error';
    const description =
      typeof body.error_description === 'string' ? `: ${body.error_description}` : '';
    throw new GatewayError(
      'upstream_oauth_error',
      `Dynamic registration at ${endpoint} was refused (${response.status} ${error}${description}).`,
    );
  }
  if (typeof body.client_id !== 'string' || body.client_id === '') {
    throw new GatewayError(
      'upstream_oauth_error',
      `Dynamic registration at ${endpoint} returned no client_id.`,
    );
  }
  const granted = isAuthMethod(body.token_endpoint_auth_method)
    ? body.token_endpoint_auth_method
    : method;
  const secret = typeof body.client_secret === 'string' ? body.client_secret : undefined;
  if (granted !== 'none' && secret === undefined) {
    throw new GatewayError(
      'upstream_oauth_error',
      `Dynamic registration at ${endpoint} returned no client_secret for ${granted}.`,
    );
  }
  return {
    issuer: as.issuer,
    clientId: body.client_id,
    ...(secret === undefined ? {} : { clientSecret: secret }),
    ...(typeof body.client_secret_expires_at === 'number'
      ? { clientSecretExpiresAt: body.client_secret_expires_at }
      : {}),
    method: 'dynamic',
    tokenEndpointAuthMethod: granted,
    redirectUri: options.redirectUri,
  };
}

export async function registerClient(
  deps: RegistrationDeps,
  as: AuthorizationServerMetadata,
  options: RegisterOptions,
): Promise<ClientRegistration> {
  const pre = options.preRegistered;
  if (pre !== undefined) {
    if (pre.clientId === '')
      throw new GatewayError('bad_request', 'The pre-registered client_id is empty.');
    const defaultMethod: TokenEndpointAuthMethod =
      pre.privateKeyPem !== undefined
        ? 'private_key_jwt'
        : pre.clientSecret !== undefined
          ? 'client_secret_basic'
          : 'none';
    return {
      issuer: as.issuer,
      clientId: pre.clientId,
      ...(pre.clientSecret === undefined ? {} : { clientSecret: pre.clientSecret }),
      ...(pre.privateKeyPem === undefined
        ? {}
        : { privateKeyPem: pre.privateKeyPem, signingAlgorithm: pre.signingAlgorithm ?? 'ES256' }),
      method: 'pre_registered',
      tokenEndpointAuthMethod: pre.tokenEndpointAuthMethod ?? defaultMethod,
      redirectUri: options.redirectUri,
    };
  }
  const cimdUsable =
    as.client_id_metadata_document_supported === true &&
    options.grantType !== 'client_credentials' &&
    deps.clientMetadataUrl.startsWith('https://');
  if (cimdUsable) {
    return {
      issuer: as.issuer,
      clientId: deps.clientMetadataUrl,
      method: 'client_metadata_document',
      tokenEndpointAuthMethod: 'none',
      redirectUri: options.redirectUri,
    };
  }
  if (typeof as.registration_endpoint === 'string') {
    return registerDynamically(deps, as, as.registration_endpoint, options);
  }
  throw new GatewayError(
    'upstream_oauth_error',
    `The authorization server ${as.issuer} offers neither client ID metadata documents nor dynamic registration; an admin must pre-register a client there.`,
  );
}
