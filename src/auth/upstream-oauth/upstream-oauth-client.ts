/**
 * The gateway as an OAuth 2.1 client toward upstream MCP servers (MCP
 * 2026-07-28 basic/authorization): discovery, registration, the
 * authorization request, the callback, and the token grants.
 *
 * The client is stateless: it returns everything a caller must persist
 * (registrations, pending authorizations, token sets) and takes it back as
 * arguments. Storage, sealing and refresh scheduling belong to the caller
 * (src/auth/upstream-credentials). Every value here is plain JSON, so it
 * can be stored as it is (secrets sealed first).
 *
 * Every error is a GatewayError from the catalogue:
 * - `upstream_oauth_error`: the upstream's metadata or answers break the spec
 *   (no S256, issuer or resource mismatch, no way to register, an error
 *   response from a grant other than invalid_grant); not retryable.
 * - `upstream_oauth_unavailable`: network failure, timeout, 5xx or 429 from
 *   the upstream's AS or metadata hosts; retryable later.
 * - `upstream_grant_invalid`: the token endpoint answered `invalid_grant`
 *   to a refresh (revoked or expired grant); the caller marks the
 *   connection broken and asks the member to connect again.
 * - `upstream_authorization_failed`: the authorization callback carries an
 *   error (e.g. access_denied), a wrong `state`, or a missing or wrong
 *   `iss` (RFC 9207); the code (if any) is not exchanged.
 * - `forbidden`: the SSRF guard refused a URL (private, link-local or
 *   loopback address not allowlisted, plain http to a public address,
 *   a redirect to any of those).
 */
import net from 'node:net';
import { createAddressGuard } from '../../upstream/ssrf-guard.ts';
import { buildAuthorizationRequest } from './authorization-request.ts';
import { discoverUpstream } from './discovery.ts';
import { createOAuthFetch } from './oauth-fetch.ts';
import { registerClient } from './registration.ts';
import { clientCredentials, exchangeCode, refresh, revoke } from './token-grants.ts';

/** RFC 9728 protected resource metadata, as served (unknown fields kept). */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers?: readonly string[];
  readonly scopes_supported?: readonly string[];
  readonly [field: string]: unknown;
}

/** RFC 8414 / OIDC discovery metadata, as served (unknown fields kept). */
export interface AuthorizationServerMetadata {
  readonly issuer: string;
  readonly authorization_endpoint?: string;
  readonly token_endpoint?: string;
  readonly registration_endpoint?: string;
  readonly revocation_endpoint?: string;
  readonly scopes_supported?: readonly string[];
  readonly grant_types_supported?: readonly string[];
  readonly code_challenge_methods_supported?: readonly string[];
  readonly token_endpoint_auth_methods_supported?: readonly string[];
  readonly client_id_metadata_document_supported?: boolean;
  readonly authorization_response_iss_parameter_supported?: boolean;
  readonly [field: string]: unknown;
}

export interface DiscoverOptions {
  /** The `WWW-Authenticate` header value of the upstream's 401 (or 403), if one was seen. */
  readonly challenge?: string;
}

/** What discovery learned; store it with the connection to skip discovery next time. */
export interface UpstreamDiscovery {
  /** The canonical upstream MCP URL: the RFC 8707 `resource` to send. */
  readonly resource: string;
  /** Where the protected resource metadata came from. */
  readonly resourceMetadataUrl: string;
  readonly protectedResourceMetadata: ProtectedResourceMetadata;
  /** The AS issuer, byte-exact as published; key registrations and tokens by it (SEP-2352). */
  readonly issuer: string;
  readonly metadata: AuthorizationServerMetadata;
  /**
   * Scopes to request (MCP "Scope Selection Strategy"): the challenge's
   * `scope` when present, else the PRM's `scopes_supported`, else empty
   * (omit `scope`).
   */
  readonly scopes: readonly string[];
}

export type RegistrationMethod = 'pre_registered' | 'client_metadata_document' | 'dynamic';

export type TokenEndpointAuthMethod =
  'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** A client identity at one upstream AS. `clientSecret` must be sealed at rest. */
export interface ClientRegistration {
  /** The AS issuer this registration belongs to; never use it with another. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  /** Epoch seconds; 0 or absent means the secret does not expire (RFC 7591 §3.2.1). */
  readonly clientSecretExpiresAt?: number;
  readonly method: RegistrationMethod;
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** For `private_key_jwt` (RFC 7523 §2.2): a PKCS#8 PEM key, sealed at rest like a secret. */
  readonly privateKeyPem?: string;
  /** The JWS algorithm of `privateKeyPem`, e.g. `ES256` or `RS256`. */
  readonly signingAlgorithm?: string;
  /** The redirect URI registered (or declared in the metadata document). */
  readonly redirectUri: string;
}

export interface PreRegisteredClient {
  readonly clientId: string;
  readonly clientSecret?: string;
  /** For `private_key_jwt`: a PKCS#8 PEM private key and its JWS algorithm (default ES256). */
  readonly privateKeyPem?: string;
  readonly signingAlgorithm?: string;
  /** Defaults to `private_key_jwt` with a key, `client_secret_basic` with a secret, else `none`. */
  readonly tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
}

export interface RegisterOptions {
  readonly redirectUri: string;
  /** An admin-provided client: always preferred when present. */
  readonly preRegistered?: PreRegisteredClient;
  /** Scopes to declare in a DCR request (`scope`), if any. */
  readonly scopes?: readonly string[];
  /** Register for `client_credentials` rather than `authorization_code` (DCR only). */
  readonly grantType?: 'authorization_code' | 'client_credentials';
}

/** Per-server deviations from the spec that real upstreams need. */
export interface UpstreamOAuthQuirks {
  /** Do not send RFC 8707 `resource` (ASes that reject unknown resources). */
  readonly omitResource?: boolean;
  /** Extra authorize parameters (e.g. `access_type=offline`, `prompt=consent`, `audience`). */
  readonly extraAuthorizeParams?: Readonly<Record<string, string>>;
  /** Scopes that replace the discovered ones. */
  readonly scopes?: readonly string[];
}

export interface AuthorizationRequestOptions {
  readonly redirectUri: string;
  /** The upstream MCP URL to bind the token to (RFC 8707); usually `discovery.resource`. */
  readonly resource: string;
  readonly scopes?: readonly string[];
  readonly quirks?: UpstreamOAuthQuirks;
}

/**
 * Everything the callback needs. Keep it server-side (or sealed) between the
 * redirect and the callback; `codeVerifier` is a secret.
 */
export interface PendingAuthorization {
  /** Recorded before the redirect; the callback must come from this AS (RFC 9207). */
  readonly issuer: string;
  readonly state: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
  /** The `resource` sent, or undefined when omitted by quirk. */
  readonly resource?: string;
  readonly scopes: readonly string[];
  /** Epoch milliseconds; callers expire pending authorizations after ~10 minutes. */
  readonly createdAt: number;
}

export interface AuthorizationRequest {
  /** The AS authorize URL to send the browser to (always https, or http when allowlisted). */
  readonly url: string;
  readonly pending: PendingAuthorization;
}

/** Tokens from one grant. `accessToken` and `refreshToken` must be sealed at rest. */
export interface TokenSet {
  readonly accessToken: string;
  /** As returned (normally `Bearer`; `DPoP` is refused). */
  readonly tokenType: string;
  /** Epoch milliseconds, from `expires_in`; absent when the AS gave none. */
  readonly expiresAt?: number;
  /** Absent when the AS issued none; a refresh without one keeps the old one (rotation optional). */
  readonly refreshToken?: string;
  /** The granted scope string when the AS returned one. */
  readonly scope?: string;
}

export interface RefreshOptions {
  /** RFC 8707 `resource`; omit when the `omitResource` quirk applies. */
  readonly resource?: string;
  readonly scopes?: readonly string[];
}

export interface ClientCredentialsOptions {
  readonly resource?: string;
  readonly scopes?: readonly string[];
}

export interface UpstreamOAuthClient {
  /**
   * Finds the upstream's protected resource metadata (the challenge's
   * `resource_metadata`, else the path-inserted then the root well-known
   * URL), checks its `resource` against `resourceUrl` (RFC 9728 §3.3), then
   * the first AS's metadata in the spec's order (RFC 8414 path-insert, OIDC
   * path-insert, OIDC appended) with the exact issuer check (RFC 8414 §3.3),
   * refusing an AS without `S256`.
   */
  discover(resourceUrl: string, options?: DiscoverOptions): Promise<UpstreamDiscovery>;

  /**
   * Chooses a client identity at the AS: the pre-registered client, else the
   * gateway's client ID metadata document when the AS supports it, else
   * dynamic registration (RFC 7591). Callers reuse the result for the same
   * issuer and call again when the AS changes.
   */
  register(as: AuthorizationServerMetadata, options: RegisterOptions): Promise<ClientRegistration>;

  /** Builds the authorize URL with PKCE S256, `state`, `resource` and scopes. */
  authorizationRequest(
    as: AuthorizationServerMetadata,
    registration: ClientRegistration,
    options: AuthorizationRequestOptions,
  ): Promise<AuthorizationRequest>;

  /**
   * Validates the callback (`state`, `iss`, `error`) and exchanges the code
   * at the token endpoint of the AS recorded in `pending`.
   * `callbackUrl` is the full URL the browser arrived at.
   */
  exchangeCode(
    as: AuthorizationServerMetadata,
    registration: ClientRegistration,
    pending: PendingAuthorization,
    callbackUrl: string | URL,
  ): Promise<TokenSet>;

  /** `refresh_token` grant; `invalid_grant` throws `upstream_grant_invalid`. */
  refresh(
    as: AuthorizationServerMetadata,
    registration: ClientRegistration,
    refreshToken: string,
    options?: RefreshOptions,
  ): Promise<TokenSet>;

  /** `client_credentials` grant (needs a confidential registration). */
  clientCredentials(
    as: AuthorizationServerMetadata,
    registration: ClientRegistration,
    options?: ClientCredentialsOptions,
  ): Promise<TokenSet>;

  /**
   * Revokes a token at the AS (RFC 7009), e.g. when a member disconnects:
   * the refresh token first, then the access token. Resolves without a
   * request when the AS publishes no `revocation_endpoint`.
   */
  revoke(
    as: AuthorizationServerMetadata,
    registration: ClientRegistration,
    token: string,
    hint?: 'access_token' | 'refresh_token',
  ): Promise<void>;

  /** Closes pooled connections. */
  close(): Promise<void>;
}

export interface UpstreamOAuthClientDeps {
  /** The gateway's public base URL (no trailing slash); names the metadata document and callback. */
  readonly publicUrl: string;
  /** CIDRs (or `*`) that may be fetched although private or loopback, over http too. */
  readonly allowPrivate: readonly string[];
  /** Shown on upstream consent pages. Defaults to `Portcullis`. */
  readonly clientName?: string;
  readonly timeoutMs?: number;
  /** Response size cap for metadata and token responses. */
  readonly maxBytes?: number;
  /** Extra trusted CA certificates (PEM), for test fixtures with their own certificate. */
  readonly ca?: string | readonly string[];
  /** Replaces `clientMetadataDocumentUrl(publicUrl)` as the CIMD client_id (conformance runs). */
  readonly clientMetadataUrl?: string;
}

/** `<publicUrl>/oauth/upstream-client.json`: the gateway's client_id at CIMD-capable ASes. */
export function clientMetadataDocumentUrl(publicUrl: string): string {
  return `${publicUrl}/oauth/upstream-client.json`;
}

/** `<publicUrl>/oauth/upstream/callback`: where upstream ASes send the browser back. */
export function upstreamCallbackUrl(publicUrl: string): string {
  return `${publicUrl}/oauth/upstream/callback`;
}

export function createUpstreamOAuthClient(deps: UpstreamOAuthClientDeps): UpstreamOAuthClient {
  const fetch = createOAuthFetch(deps);
  const guard = createAddressGuard(deps.allowPrivate);
  const publicOnly = createAddressGuard([]);
  const registration = {
    fetch,
    clientMetadataUrl: deps.clientMetadataUrl ?? clientMetadataDocumentUrl(deps.publicUrl),
    clientName: deps.clientName ?? 'Portcullis',
  };
  // Plain-http authorize URLs only for allowlisted private hosts, as for every fetch.
  const isHttpAllowed = (url: URL): boolean => {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const address = host === 'localhost' ? '127.0.0.1' : host;
    return net.isIP(address) !== 0 && !publicOnly.isAllowed(address) && guard.isAllowed(address);
  };
  return {
    discover: (resourceUrl, options) => discoverUpstream(fetch, resourceUrl, options),
    register: (as, options) => registerClient(registration, as, options),
    authorizationRequest: (as, client, options) =>
      buildAuthorizationRequest(as, client, options, isHttpAllowed),
    exchangeCode: (as, client, pending, callbackUrl) =>
      exchangeCode(fetch, as, client, pending, callbackUrl),
    refresh: (as, client, refreshToken, options) =>
      refresh(fetch, as, client, refreshToken, options),
    clientCredentials: (as, client, options) => clientCredentials(fetch, as, client, options),
    revoke: (as, client, token, hint) => revoke(fetch, as, client, token, hint),
    close: () => fetch.close(),
  };
}
