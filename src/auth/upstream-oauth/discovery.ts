/**
 * Discovery of an upstream MCP server's authorization server (MCP
 * 2026-07-28 basic/authorization/authorization-server-discovery):
 *
 * 1. protected resource metadata (RFC 9728): the 401 challenge's
 *    `resource_metadata`, else the path-inserted well-known URL, else the
 *    root one; its `resource` must name the server (RFC 9728 §3.3);
 * 2. the first authorization server's metadata, probing RFC 8414
 *    path-insert, OIDC path-insert, OIDC appended (or the two root forms),
 *    keeping only a document whose `issuer` is identical (RFC 8414 §3.3);
 * 3. PKCE: an AS that does not list `S256` is refused.
 *
 * A server without any PRM is a 2025-03-26 server: its AS is its origin,
 * with `/authorize`, `/token` and `/register` when even the AS metadata is
 * missing (2025-03-26 basic/authorization §2.3.3). That revision made PKCE
 * mandatory for every client, so the fallback assumes S256.
 */
import { GatewayError } from '../../shared/errors.ts';
import { parseBearerChallenge } from './bearer-challenge.ts';
import type { OAuthFetch } from './oauth-fetch.ts';
import type {
  AuthorizationServerMetadata,
  DiscoverOptions,
  ProtectedResourceMetadata,
  UpstreamDiscovery,
} from './upstream-oauth-client.ts';

type JsonFetch = (url: string) => Promise<Record<string, unknown> | undefined>;

function oauthError(message: string): GatewayError {
  return new GatewayError('upstream_oauth_error', message);
}

/** GET a JSON object; undefined on 4xx (the document is not there); throws on 5xx/429. */
function createJsonFetch(fetch: OAuthFetch): JsonFetch {
  return async (url) => {
    const response = await fetch(url, { headers: { accept: 'application/json' } });
    if (response.status === 429 || response.status >= 500) {
      throw new GatewayError('upstream_oauth_unavailable', `${url} answered ${response.status}.`);
    }
    if (response.status !== 200) return undefined;
    let body: unknown;
    try {
      body = JSON.parse(await response.text());
    } catch {
      throw oauthError(`${url} did not answer JSON.`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw oauthError(`${url} did not answer a JSON object.`);
    }
    return body as Record<string, unknown>;
  };
}

function parseHttpUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw oauthError(`${what} "${value}" is not a URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw oauthError(`${what} "${value}" is not an http(s) URL.`);
  }
  return url;
}

/** The path without a trailing slash ("" for the root). */
function trimmedPath(url: URL): string {
  return url.pathname.replace(/\/+$/, '');
}

/** RFC 9728 §3.3; a PRM naming a parent path of the server (root fallback) is accepted too. */
function resourceMatches(resource: string, server: URL): boolean {
  let named: URL;
  try {
    named = new URL(resource);
  } catch {
    return false;
  }
  if (named.origin !== server.origin || named.search !== '' || named.hash !== '') return false;
  const base = trimmedPath(named);
  const path = trimmedPath(server);
  return path === base || path.startsWith(`${base}/`);
}

async function fetchProtectedResourceMetadata(
  getJson: JsonFetch,
  server: URL,
  challengeUrl: string | undefined,
): Promise<{ url: string; document: ProtectedResourceMetadata } | undefined> {
  const candidates: string[] = [];
  if (challengeUrl !== undefined)
    candidates.push(parseHttpUrl(challengeUrl, 'resource_metadata').href);
  else {
    const path = trimmedPath(server);
    if (path !== '')
      candidates.push(`${server.origin}/.well-known/oauth-protected-resource${path}`);
    candidates.push(`${server.origin}/.well-known/oauth-protected-resource`);
  }
  for (const url of candidates) {
    const document = await getJson(url);
    if (document === undefined) continue;
    if (typeof document.resource !== 'string') throw oauthError(`${url} has no "resource".`);
    return { url, document: document as ProtectedResourceMetadata };
  }
  if (challengeUrl !== undefined)
    throw oauthError(`The resource_metadata ${challengeUrl} could not be fetched.`);
  return undefined;
}

/** The well-known URLs to probe, in the spec's order. */
export function authorizationServerMetadataUrls(issuer: string): string[] {
  const url = parseHttpUrl(issuer, 'The authorization server issuer');
  const path = trimmedPath(url);
  if (path === '') {
    return [
      `${url.origin}/.well-known/oauth-authorization-server`,
      `${url.origin}/.well-known/openid-configuration`,
    ];
  }
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}/.well-known/openid-configuration${path}`,
    `${url.origin}${path}/.well-known/openid-configuration`,
  ];
}

async function fetchAuthorizationServerMetadata(
  getJson: JsonFetch,
  issuer: string,
): Promise<AuthorizationServerMetadata | undefined> {
  for (const url of authorizationServerMetadataUrls(issuer)) {
    const document = await getJson(url);
    if (document === undefined) continue;
    // RFC 8414 §3.3: byte-for-byte, no normalisation (a trailing slash is a different issuer).
    if (document.issuer !== issuer) {
      throw oauthError(
        `The authorization server metadata at ${url} names the issuer "${String(document.issuer)}", not "${issuer}"; it must not be used (RFC 8414 §3.3).`,
      );
    }
    return document as AuthorizationServerMetadata;
  }
  return undefined;
}

function checkMetadata(metadata: AuthorizationServerMetadata): void {
  const methods = metadata.code_challenge_methods_supported;
  if (!Array.isArray(methods) || !methods.includes('S256')) {
    throw oauthError(
      `The authorization server ${metadata.issuer} does not advertise PKCE S256 (code_challenge_methods_supported); MCP clients must refuse it.`,
    );
  }
  for (const field of [
    'authorization_endpoint',
    'token_endpoint',
    'registration_endpoint',
  ] as const) {
    const value = metadata[field];
    if (value === undefined) continue;
    if (typeof value !== 'string')
      throw oauthError(`${field} of ${metadata.issuer} is not a string.`);
    parseHttpUrl(value, field);
  }
  if (typeof metadata.token_endpoint !== 'string') {
    throw oauthError(`The authorization server ${metadata.issuer} has no token_endpoint.`);
  }
}

function scopesOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
}

export async function discoverUpstream(
  fetch: OAuthFetch,
  resourceUrl: string,
  options: DiscoverOptions = {},
): Promise<UpstreamDiscovery> {
  const server = parseHttpUrl(resourceUrl, 'The upstream MCP URL');
  const getJson = createJsonFetch(fetch);
  const challenge = parseBearerChallenge(options.challenge);
  const prm = await fetchProtectedResourceMetadata(getJson, server, challenge?.resourceMetadata);
  const challengeScopes = challenge?.scope?.split(' ').filter((s) => s !== '');

  if (prm === undefined) {
    const issuer = server.origin;
    const found = await fetchAuthorizationServerMetadata(getJson, issuer);
    const metadata: AuthorizationServerMetadata = found ?? {
      issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      registration_endpoint: `${issuer}/register`,
      code_challenge_methods_supported: ['S256'],
    };
    checkMetadata(metadata);
    return {
      resource: resourceUrl,
      resourceMetadataUrl: `${server.origin}/.well-known/oauth-protected-resource`,
      protectedResourceMetadata: { resource: resourceUrl },
      issuer,
      metadata,
      scopes: challengeScopes ?? [],
    };
  }

  const { document } = prm;
  if (!resourceMatches(document.resource, server)) {
    throw oauthError(
      `The protected resource metadata at ${prm.url} describes "${document.resource}", not ${resourceUrl} (RFC 9728 §3.3).`,
    );
  }
  const servers: unknown = document.authorization_servers;
  const issuer: unknown = Array.isArray(servers) ? (servers as unknown[])[0] : undefined;
  if (typeof issuer !== 'string') {
    throw oauthError(
      `The protected resource metadata at ${prm.url} lists no authorization_servers.`,
    );
  }
  const metadata = await fetchAuthorizationServerMetadata(getJson, issuer);
  if (metadata === undefined) {
    throw oauthError(
      `The authorization server ${issuer} publishes no metadata (RFC 8414 or OpenID Connect Discovery).`,
    );
  }
  checkMetadata(metadata);
  return {
    resource: document.resource,
    resourceMetadataUrl: prm.url,
    protectedResourceMetadata: document,
    issuer,
    metadata,
    scopes: challengeScopes ?? scopesOf(document.scopes_supported),
  };
}
