/**
 * OAuth clients of the gateway for system tests.
 *
 * - `createTestOAuthProvider`: an MCP SDK v2 `OAuthClientProvider` that keeps
 *   its registration, tokens, PKCE verifier and discovery state in memory and
 *   performs the "browser" leg itself, through the gateway's real sign-in and
 *   consent forms. The redirect is never followed: the browser returns the URL
 *   the gateway redirected to, and its `state` is checked here, as a real
 *   client must (the SDK leaves that to the application).
 * - `authorizeInBrowser`: the scripted browser over a persistent cookie jar,
 *   reporting which forms it had to fill in.
 * - `hostClientMetadataDocument`: a client ID metadata document on loopback https.
 * - `discoverAuthorizationServer` and friends: the authorization server in raw HTTP.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import {
  Client,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from '@modelcontextprotocol/client';
import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { createCookieJar, signInAndConsent } from './cookie-jar.ts';
import type { CookieJar } from './cookie-jar.ts';
import type {
  OAuthClientInformationContext,
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client';

/** Opens an authorization URL, signs in and consents; resolves to the final redirect URL. */
export type ScriptedBrowser = (authorizationUrl: URL) => Promise<string>;

export interface TestOAuthProvider extends OAuthClientProvider {
  /** Every authorization URL the SDK sent the "user" to. */
  readonly authorizationUrls: readonly URL[];
  /** Query of the last redirect back to the client, after its `state` was checked. */
  callbackParams(): URLSearchParams;
  /** The client information saved after registration (DCR) or CIMD selection. */
  registered(): StoredOAuthClientInformation | undefined;
  /** The tokens saved last. */
  storedTokens(): StoredOAuthTokens | undefined;
}

export function createTestOAuthProvider(options: {
  redirectUrl: string;
  clientName?: string;
  /** CIMD: the client id is this URL (the SDK uses it when the AS advertises support). */
  clientMetadataUrl?: string;
  browser: ScriptedBrowser;
}): TestOAuthProvider {
  let clientInformation: StoredOAuthClientInformation | undefined;
  let tokens: StoredOAuthTokens | undefined;
  let codeVerifier: string | undefined;
  let discovery: OAuthDiscoveryState | undefined;
  let expectedState: string | undefined;
  let callback: URLSearchParams | undefined;
  const authorizationUrls: URL[] = [];

  const clientMetadata: OAuthClientMetadata = {
    client_name: options.clientName ?? 'Portcullis e2e client',
    redirect_uris: [options.redirectUrl],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };

  return {
    authorizationUrls,
    get redirectUrl() {
      return options.redirectUrl;
    },
    ...(options.clientMetadataUrl === undefined
      ? {}
      : { clientMetadataUrl: options.clientMetadataUrl }),
    get clientMetadata() {
      return clientMetadata;
    },
    state() {
      expectedState = crypto.randomBytes(16).toString('base64url');
      return expectedState;
    },
    clientInformation: (_ctx?: OAuthClientInformationContext) => clientInformation,
    saveClientInformation(information) {
      clientInformation = information;
    },
    tokens: () => tokens,
    saveTokens(saved) {
      tokens = saved;
    },
    saveCodeVerifier(verifier) {
      codeVerifier = verifier;
    },
    codeVerifier() {
      if (codeVerifier === undefined) throw new Error('no PKCE verifier saved');
      return codeVerifier;
    },
    saveDiscoveryState(state) {
      discovery = state;
    },
    discoveryState: () => discovery,
    invalidateCredentials(scope) {
      if (scope === 'all' || scope === 'client') clientInformation = undefined;
      if (scope === 'all' || scope === 'tokens') tokens = undefined;
      if (scope === 'all' || scope === 'verifier') codeVerifier = undefined;
      if (scope === 'all' || scope === 'discovery') discovery = undefined;
    },
    async redirectToAuthorization(authorizationUrl) {
      authorizationUrls.push(authorizationUrl);
      const landed = new URL(await options.browser(authorizationUrl));
      if (`${landed.origin}${landed.pathname}` !== options.redirectUrl)
        throw new Error(`the browser ended at ${landed.href}, not at the client's redirect URI`);
      if (landed.searchParams.get('state') !== expectedState)
        throw new Error('the authorization response carries another state');
      callback = landed.searchParams;
    },
    callbackParams() {
      if (callback === undefined) throw new Error('no authorization response received yet');
      return callback;
    },
    registered: () => clientInformation,
    storedTokens: () => tokens,
  };
}

export type EraMode = 'legacy' | { pin: string };

function newClient(mode: EraMode): Client {
  return new Client({ name: 'e2e-oauth', version: '1.0.0' }, { versionNegotiation: { mode } });
}

/**
 * Connects as an OAuth client would: the first attempt meets the 401, runs
 * discovery, registration and the browser leg (`UnauthorizedError`), the code
 * is exchanged with `finishAuth`, and a second connection carries the token.
 * Resolves to the connected client and the number of attempts made.
 */
export async function connectWithOAuth(
  endpoint: string,
  provider: TestOAuthProvider,
  mode: EraMode,
): Promise<{ client: Client; attempts: number }> {
  const first = newClient(mode);
  const transport = new StreamableHTTPClientTransport(new URL(endpoint), {
    authProvider: provider,
  });
  try {
    await first.connect(transport);
    return { client: first, attempts: 1 };
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
  }
  await transport.finishAuth(provider.callbackParams());
  await first.close().catch(() => undefined);
  const second = newClient(mode);
  await second.connect(
    new StreamableHTTPClientTransport(new URL(endpoint), { authProvider: provider }),
  );
  return { client: second, attempts: 2 };
}

/** RFC 7636 PKCE pair (S256). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

/** Which of the gateway's forms a scripted authorization filled in, in order. */
export type FilledForm = 'sign-in' | 'consent';

/**
 * Runs `signInAndConsent` on `jar` (so the browser session persists between
 * authorizations) and records which forms it had to submit.
 */
export async function authorizeInBrowser(
  jar: CookieJar,
  authorizationUrl: string,
  user: { email: string; password: string; approve?: boolean },
): Promise<{ location: string; forms: FilledForm[] }> {
  const forms: FilledForm[] = [];
  const recording: CookieJar = {
    ...jar,
    post(url, form, headers) {
      const { pathname } = new URL(url);
      if (pathname.endsWith('/login')) forms.push('sign-in');
      else if (pathname.endsWith('/consent')) forms.push('consent');
      return jar.post(url, form, headers);
    },
  };
  const location = await signInAndConsent(authorizationUrl, { ...user, jar: recording });
  return { location, forms };
}

/** A `ScriptedBrowser` for `createTestOAuthProvider` over one persistent jar. */
export function jarBrowser(
  jar: CookieJar,
  user: { email: string; password: string },
): ScriptedBrowser {
  return async (authorizationUrl) =>
    (await authorizeInBrowser(jar, authorizationUrl.href, { ...user, approve: true })).location;
}

export interface HostedClientMetadata {
  /** The client id: the document's own https URL. */
  url: string;
  /** How many times the document was fetched. */
  fetches(): number;
  close(): Promise<void>;
}

/**
 * Hosts a client ID metadata document on a loopback https server with a
 * throwaway self-signed certificate. CIMD client ids are https URLs (SDK and
 * oidc-provider both insist), so the certificate is added to this process's
 * default CA list: the in-process gateway's guarded fetch then trusts it,
 * while the private-address rule still applies unless the test allows it.
 */
export async function hostClientMetadataDocument(
  document: (clientId: string) => Record<string, unknown>,
): Promise<HostedClientMetadata> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-cimd-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const key = await readFile(path.join(dir, 'key.pem'), 'utf8');
    const cert = await readFile(path.join(dir, 'cert.pem'), 'utf8');
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), cert]);
    let fetches = 0;
    let clientId = '';
    const server = https.createServer({ key, cert }, (request, response) => {
      if (request.method !== 'GET' || request.url !== '/oauth/client-metadata.json') {
        response.writeHead(404).end();
        return;
      }
      fetches += 1;
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify(document(clientId)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    clientId = `https://127.0.0.1:${port}/oauth/client-metadata.json`;
    return {
      url: clientId,
      fetches: () => fetches,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A JSON answer of the authorization server. */
export interface JsonAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

async function jsonAnswer(response: Dispatcher.ResponseData): Promise<JsonAnswer> {
  const text = await response.body.text();
  let body: Record<string, unknown>;
  try {
    body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    body = { unparsed: text };
  }
  return { status: response.statusCode, headers: response.headers, body };
}

export async function getJson(url: string): Promise<JsonAnswer> {
  return jsonAnswer(await request(url, { headers: { accept: 'application/json' } }));
}

export async function postJson(url: string, body: unknown): Promise<JsonAnswer> {
  return jsonAnswer(
    await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

export async function postForm(url: string, form: Record<string, string>): Promise<JsonAnswer> {
  return jsonAnswer(
    await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
    }),
  );
}

/** The gateway's authorization server, spoken to in raw HTTP (RFC 8414 metadata first). */
export interface RawAuthorizationServer {
  readonly metadata: Record<string, unknown>;
  register(body: Record<string, unknown>): Promise<JsonAnswer>;
  token(form: Record<string, string>): Promise<JsonAnswer>;
  revoke(form: Record<string, string>): Promise<JsonAnswer>;
  authorizationUrl(params: Record<string, string>): string;
}

export async function discoverAuthorizationServer(issuer: string): Promise<RawAuthorizationServer> {
  const answer = await getJson(`${issuer}/.well-known/oauth-authorization-server`);
  if (answer.status !== 200) throw new Error(`no authorization server metadata (${answer.status})`);
  const metadata = answer.body;
  const endpoint = (name: string) => String(metadata[name]);
  return {
    metadata,
    register: (body) => postJson(endpoint('registration_endpoint'), body),
    token: (form) => postForm(endpoint('token_endpoint'), form),
    revoke: (form) => postForm(endpoint('revocation_endpoint'), form),
    authorizationUrl(params) {
      const url = new URL(endpoint('authorization_endpoint'));
      url.search = new URLSearchParams(params).toString();
      return url.href;
    },
  };
}

/** Registers a public client (code and refresh grants) under a fresh name; returns its id. */
export async function registerPublicClient(
  as: RawAuthorizationServer,
  redirectUri: string,
  name: string,
): Promise<string> {
  const registered = await as.register({
    // Distinct names: identical public registrations are answered with the same client.
    client_name: `${name} ${crypto.randomUUID()}`,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: 'none',
  });
  if (registered.status !== 201)
    throw new Error(
      `registration answered ${registered.status}: ${JSON.stringify(registered.body)}`,
    );
  return String(registered.body.client_id);
}

export interface IssuedTokens {
  readonly clientId: string;
  readonly access: string;
  readonly refresh: string;
  /** The pages the member filled on the way (sign-in, consent). */
  readonly forms: FilledForm[];
}

/**
 * The whole authorization code flow for `resource`, as a browser with a fresh cookie jar:
 * sign in as `user`, approve, redeem the code with PKCE. Asks `mcp offline_access`.
 */
export async function obtainTokens(
  as: RawAuthorizationServer,
  client: { clientId: string; redirectUri: string },
  user: { email: string; password: string },
  resource: string,
): Promise<IssuedTokens> {
  const { clientId, redirectUri } = client;
  const pkce = pkcePair();
  const { location, forms } = await authorizeInBrowser(
    createCookieJar(),
    as.authorizationUrl({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'mcp offline_access',
      state: crypto.randomUUID(),
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      resource,
    }),
    { ...user, approve: true },
  );
  const code = new URL(location).searchParams.get('code');
  if (code === null) throw new Error(`no code in ${location}`);
  const issued = await as.token({
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    client_id: clientId,
    code_verifier: pkce.verifier,
    resource,
  });
  if (issued.status !== 200)
    throw new Error(`the token endpoint answered ${issued.status}: ${JSON.stringify(issued.body)}`);
  return {
    clientId,
    access: String(issued.body.access_token),
    refresh: String(issued.body.refresh_token),
    forms,
  };
}
