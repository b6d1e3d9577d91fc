/**
 * OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document):
 * the well-known clients' documents pre-seeded, and the guarded fetch that
 * oidc-provider uses (its `fetch` option) for every other document.
 *
 * Pre-seeding keeps logins working through an outage of the client's CDN
 * (Claude's documents returned 503 and 404 in 2026).
 *
 * The fetch is SSRF-sensitive (MCP security best practices, "Server-Side
 * Request Forgery"): https only, public addresses only — checked on the
 * address actually dialled, so DNS rebinding between check and connect
 * does not help — no redirects, a short timeout, a small size cap and a
 * JSON content type. Loopback and private ranges (and plain http) open only
 * for the ranges an admin lists in PORTCULLIS_OAUTH_FETCH_ALLOW_PRIVATE.
 */
import net from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { createAddressGuard } from '../../upstream/ssrf-guard.ts';

export const CLAUDE_CLIENT_ID = 'https://claude.ai/oauth/mcp-oauth-client-metadata';
export const CLAUDE_CODE_CLIENT_ID = 'https://claude.ai/oauth/claude-code-client-metadata';

/** Documents as the clients publish them (MCP authorization research §2.9). */
export const PRESEEDED_CLIENT_METADATA: ReadonlyMap<
  string,
  Readonly<Record<string, unknown>>
> = new Map<string, Readonly<Record<string, unknown>>>([
  [
    CLAUDE_CLIENT_ID,
    {
      client_id: CLAUDE_CLIENT_ID,
      client_name: 'Claude',
      client_uri: 'https://claude.ai',
      redirect_uris: ['https://claude.ai/api/mcp/auth_callback'],
      grant_types: [
        'authorization_code',
        'refresh_token',
        'urn:ietf:params:oauth:grant-type:jwt-bearer',
      ],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    },
  ],
  [
    CLAUDE_CODE_CLIENT_ID,
    {
      client_id: CLAUDE_CODE_CLIENT_ID,
      client_name: 'Claude Code',
      redirect_uris: ['http://localhost/callback', 'http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    },
  ],
]);

export interface ClientMetadataFetchOptions {
  /** CIDRs (or `*`) that may be fetched although private or loopback, over http too. */
  allowPrivate: readonly string[];
  timeoutMs?: number;
  maxBytes?: number;
  /** Extra trusted CA certificates (PEM), for test fixtures with their own certificate. */
  ca?: string | readonly string[];
}

export interface GuardedFetch {
  (url: string | URL, init?: RequestInit): Promise<Response>;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Buffer> {
  if (body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of body) {
    received += chunk.byteLength;
    if (received > maxBytes) {
      await body.cancel().catch(() => undefined);
      throw new Error(`client metadata document exceeds ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The guard's refusals name the upstream setting; these fetches are opened by another one. */
function refusal(addresses: string): Error {
  return new Error(
    `client metadata document address ${addresses} is in a private or reserved range; only ranges listed in PORTCULLIS_OAUTH_FETCH_ALLOW_PRIVATE may be fetched`,
  );
}

export function createClientMetadataFetch(options: ClientMetadataFetchOptions): GuardedFetch {
  const guard = createAddressGuard(options.allowPrivate);
  const lookup = ((
    hostname: string,
    lookupOptions: object,
    callback: (...args: unknown[]) => void,
  ) =>
    guard.lookup(hostname, lookupOptions, (error: unknown, ...rest: unknown[]) =>
      error !== null && error !== undefined && (error as { code?: string }).code === 'forbidden'
        ? callback(refusal(hostname))
        : callback(error, ...rest),
    )) as unknown as typeof guard.lookup;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxBytes = options.maxBytes ?? 5 * 1024;
  const agent = new Agent({
    connect: {
      lookup,
      ...(options.ca === undefined ? {} : { ca: options.ca as string | string[] }),
    },
    connectTimeout: timeoutMs,
  });

  const guardedFetch = async (input: string | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input));
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && guard.opensPrivateRanges)) {
      throw new Error(`client metadata documents are fetched over https only, not ${url.protocol}`);
    }
    if (url.username !== '' || url.password !== '')
      throw new Error('credentials in the URL are refused');
    // Literal addresses skip DNS, so the lookup hook never sees them: check them here.
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (net.isIP(host) !== 0 && !guard.isAllowed(host)) throw refusal(host);

    const signal = AbortSignal.any([
      AbortSignal.timeout(timeoutMs),
      ...(init.signal ? [init.signal] : []),
    ]);
    const response = await undiciFetch(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal,
      dispatcher: agent,
    });
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new Error(
        `client metadata document fetch was redirected (${response.status}); redirects are refused`,
      );
    }
    const type = response.headers.get('content-type') ?? '';
    if (response.status === 200 && !/^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(type)) {
      await response.body?.cancel();
      throw new Error(`client metadata document has content type "${type}", not application/json`);
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body?.cancel();
      throw new Error(`client metadata document exceeds ${maxBytes} bytes`);
    }
    const body = await readCapped(response.body as ReadableStream<Uint8Array> | null, maxBytes);
    return new Response(body.length === 0 ? null : new Uint8Array(body), {
      status: response.status,
      headers: response.headers as unknown as Headers,
    });
  };
  return Object.assign(guardedFetch, { close: () => agent.close() });
}
