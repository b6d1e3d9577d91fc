#!/usr/bin/env node
/**
 * A conformance client for the gateway's upstream OAuth client
 * (`src/auth/upstream-oauth`): the MCP conformance suite's
 * `client --suite auth` runs it as `<command> <server-url>`, with the
 * scenario in MCP_CONFORMANCE_SCENARIO and credentials, where a scenario
 * has some, in MCP_CONFORMANCE_CONTEXT.
 *
 *   conformance client --suite auth --command "node scripts/upstream-oauth-conformance.ts"
 *
 * It connects with the SDK client over a fetch that does what the gateway
 * does toward an upstream: on 401 discover, register, authorize, exchange
 * the code (or use client credentials), retry; on 403 insufficient_scope
 * re-authorize once with the union of the scopes. The "browser" step follows
 * the scenario AS's redirect, which approves at once, as the suite's own
 * example client does. Loopback is allowlisted: the scenario servers run
 * on localhost over http.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import {
  createUpstreamOAuthClient,
  type ClientRegistration,
  type PreRegisteredClient,
  type TokenSet,
  type UpstreamDiscovery,
} from '../src/auth/upstream-oauth/upstream-oauth-client.ts';

/** The client_id the suite's CIMD scenarios expect (its AS serves that document itself). */
const CONFORMANCE_CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';
const REDIRECT_URI = 'http://localhost:3000/callback';
/** Re-authorizations per request: one for 401, one for a step-up (auth/scope-retry-limit). */
const MAX_AUTHORIZATIONS_PER_REQUEST = 2;

interface ConformanceContext {
  client_id?: string;
  client_secret?: string;
  private_key_pem?: string;
  signing_algorithm?: string;
}

interface Session {
  discovery?: UpstreamDiscovery;
  registration?: ClientRegistration;
  tokens?: TokenSet;
  grantedScopes: Set<string>;
}

function readContext(): ConformanceContext {
  const raw = process.env.MCP_CONFORMANCE_CONTEXT;
  return raw === undefined || raw === '' ? {} : (JSON.parse(raw) as ConformanceContext);
}

/** The browser's part: the scenario AS answers /authorize with a redirect carrying the code. */
async function followAuthorization(url: string): Promise<string> {
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  await response.body?.cancel();
  if (location === null)
    throw new Error(`the authorization endpoint answered ${response.status} without a redirect`);
  return new URL(location, url).href;
}

export async function runConformanceClient(serverUrl: string, scenario: string): Promise<void> {
  const context = readContext();
  const isClientCredentials = scenario.startsWith('auth/client-credentials');
  const preRegistered: PreRegisteredClient | undefined =
    context.client_id === undefined
      ? undefined
      : {
          clientId: context.client_id,
          ...(context.client_secret === undefined ? {} : { clientSecret: context.client_secret }),
          ...(context.private_key_pem === undefined
            ? {}
            : {
                privateKeyPem: context.private_key_pem,
                signingAlgorithm: context.signing_algorithm ?? 'ES256',
              }),
        };
  const oauth = createUpstreamOAuthClient({
    publicUrl: 'http://localhost:3000',
    allowPrivate: ['127.0.0.0/8', '::1/128'],
    clientName: 'portcullis-conformance',
    clientMetadataUrl: CONFORMANCE_CLIENT_METADATA_URL,
  });
  const session: Session = { grantedScopes: new Set() };

  async function authorize(challenge: string | undefined): Promise<void> {
    const discovery = await oauth.discover(serverUrl, challenge === undefined ? {} : { challenge });
    // SEP-2352: credentials belong to one issuer; another AS means registering again.
    if (session.registration?.issuer !== discovery.issuer) {
      session.registration = undefined;
      session.grantedScopes.clear();
    }
    session.discovery = discovery;
    for (const scope of discovery.scopes) session.grantedScopes.add(scope);
    const scopes = [...session.grantedScopes];
    if (isClientCredentials) {
      if (preRegistered === undefined)
        throw new Error('client credentials need MCP_CONFORMANCE_CONTEXT');
      session.registration = await oauth.register(discovery.metadata, {
        redirectUri: REDIRECT_URI,
        preRegistered,
      });
      session.tokens = await oauth.clientCredentials(discovery.metadata, session.registration, {
        resource: discovery.resource,
        scopes,
      });
      return;
    }
    session.registration ??= await oauth.register(discovery.metadata, {
      redirectUri: REDIRECT_URI,
      ...(preRegistered === undefined ? {} : { preRegistered }),
    });
    const request = await oauth.authorizationRequest(discovery.metadata, session.registration, {
      redirectUri: REDIRECT_URI,
      resource: discovery.resource,
      scopes,
    });
    const callback = await followAuthorization(request.url);
    session.tokens = await oauth.exchangeCode(
      discovery.metadata,
      session.registration,
      request.pending,
      callback,
    );
  }

  const authorizedFetch = async (
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> => {
    const send = (): Promise<Response> => {
      const headers = new Headers(init?.headers);
      if (session.tokens !== undefined)
        headers.set('authorization', `Bearer ${session.tokens.accessToken}`);
      return fetch(input, { ...init, headers });
    };
    let response = await send();
    for (let attempt = 0; attempt < MAX_AUTHORIZATIONS_PER_REQUEST; attempt += 1) {
      const challenge = response.headers.get('www-authenticate') ?? undefined;
      const isStepUp =
        response.status === 403 &&
        challenge !== undefined &&
        /error="?insufficient_scope/.test(challenge);
      if (response.status !== 401 && !isStepUp) break;
      await response.body?.cancel();
      await authorize(challenge);
      response = await send();
    }
    return response;
  };

  const pinned = process.env.MCP_CONFORMANCE_PROTOCOL_VERSION;
  const client = new Client(
    { name: 'portcullis-upstream-oauth-conformance', version: '1.0.0' },
    {
      capabilities: {},
      versionNegotiation: { mode: pinned === '2026-07-28' ? { pin: pinned } : 'legacy' },
    },
  );
  const transport = new StreamableHTTPClientTransport(new URL(serverUrl), {
    fetch: authorizedFetch,
  });
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    if (tools.some((tool) => tool.name === 'test-tool'))
      await client.callTool({ name: 'test-tool', arguments: {} });
  } finally {
    await client.close().catch(() => undefined);
    await oauth.close();
  }
}

if (import.meta.main) {
  const serverUrl = process.argv.at(-1);
  if (serverUrl === undefined || !/^https?:\/\//.test(serverUrl)) {
    process.stderr.write('usage: upstream-oauth-conformance.ts <mcp-server-url>\n');
    process.exit(2);
  }
  runConformanceClient(serverUrl, process.env.MCP_CONFORMANCE_SCENARIO ?? '').then(
    () => process.exit(0),
    (error: unknown) => {
      const code = (error as { code?: string }).code;
      process.stderr.write(
        `${code === undefined ? '' : `${code}: `}${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
