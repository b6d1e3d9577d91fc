/**
 * The one fetch of the upstream OAuth client: protected resource metadata,
 * AS metadata, registration and token requests all go through it (MCP
 * security best practices, "Server-Side Request Forgery").
 *
 * - https to public addresses; plain http only to private or loopback
 *   addresses an admin allowlisted (local development, test fixtures);
 * - the check applies to the address actually dialled (a `lookup` hook on
 *   the agent), so DNS rebinding between check and connect does not help;
 * - GET redirects are followed by hand, at most 5, each hop checked like the
 *   first; other methods never follow redirects;
 * - a timeout and a response size cap; the body is buffered.
 */
import dns from 'node:dns';
import net from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { GatewayError, isGatewayError } from '../../shared/errors.ts';
import { createAddressGuard } from '../../upstream/ssrf-guard.ts';

export interface OAuthFetchOptions {
  /** CIDRs (or `*`) that may be dialled although private or loopback, over http too. */
  readonly allowPrivate: readonly string[];
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  readonly ca?: string | readonly string[];
}

export interface OAuthFetchInit {
  readonly method?: string;
  readonly headers?: Record<string, string> | Headers;
  readonly body?: string | URLSearchParams | null;
  readonly signal?: AbortSignal | null;
}

export interface OAuthFetch {
  (url: string | URL, init?: OAuthFetchInit): Promise<Response>;
  close(): Promise<void>;
}

const maxRedirects = 5;

function refused(url: URL, reason: string): GatewayError {
  return new GatewayError('forbidden', `Refused to fetch ${url.origin}${url.pathname}: ${reason}.`);
}

/** undici wraps lookup failures in `TypeError: fetch failed`; find ours in the cause chain. */
function gatewayCause(error: unknown): GatewayError | undefined {
  let current: unknown = error;
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 5; depth += 1) {
    if (isGatewayError(current)) return current;
    current = 'cause' in current ? current.cause : undefined;
  }
  return undefined;
}

async function readCapped(response: Response, maxBytes: number, url: URL): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new GatewayError(
      'upstream_oauth_error',
      `${url.origin}${url.pathname} answered more than ${maxBytes} bytes.`,
    );
  }
  if (response.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    received += chunk.byteLength;
    if (received > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw new GatewayError(
        'upstream_oauth_error',
        `${url.origin}${url.pathname} answered more than ${maxBytes} bytes.`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function createOAuthFetch(options: OAuthFetchOptions): OAuthFetch {
  const guard = createAddressGuard(options.allowPrivate);
  const publicOnly = createAddressGuard([]);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxBytes ?? 256 * 1024;
  const isAllowlistedPrivate = (address: string): boolean =>
    !publicOnly.isAllowed(address) && guard.isAllowed(address);

  // Plain http is dialled only to allowlisted private addresses: a public answer is refused.
  const privateLookup = ((
    hostname: string,
    lookupOptions: dns.LookupOptions,
    callback: (...args: unknown[]) => void,
  ) => {
    dns.lookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
      if (error) return callback(error);
      const permitted = addresses.filter((entry) => isAllowlistedPrivate(entry.address));
      if (permitted.length === 0) {
        return callback(
          new GatewayError(
            'forbidden',
            `Refused to fetch http://${hostname}: plain http is allowed only to allowlisted private addresses, and ${hostname} resolves to ${addresses.map((e) => e.address).join(', ')}; use https.`,
          ),
        );
      }
      if (lookupOptions.all === true) return callback(null, permitted);
      return callback(null, permitted[0]!.address, permitted[0]!.family);
    });
  }) as unknown as net.LookupFunction;

  const connect = {
    ...(options.ca === undefined ? {} : { ca: options.ca as string | string[] }),
  };
  const httpsAgent = new Agent({
    connect: { ...connect, lookup: guard.lookup },
    connectTimeout: timeoutMs,
  });
  const httpAgent = new Agent({
    connect: { ...connect, lookup: privateLookup },
    connectTimeout: timeoutMs,
  });

  function checkUrl(url: URL): Agent {
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw refused(url, `the scheme ${url.protocol} is not http(s)`);
    if (url.username !== '' || url.password !== '')
      throw refused(url, 'credentials in the URL are refused');
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // Literal addresses skip DNS, so the lookup hooks never see them: check them here.
    if (net.isIP(host) !== 0) {
      if (!guard.isAllowed(host)) {
        throw refused(
          url,
          `${host} is a private, loopback or link-local address that is not allowlisted (PORTCULLIS_UPSTREAM_ALLOW_PRIVATE)`,
        );
      }
      if (url.protocol === 'http:' && !isAllowlistedPrivate(host)) {
        throw refused(
          url,
          'plain http is allowed only to allowlisted private addresses; use https',
        );
      }
    }
    return url.protocol === 'https:' ? httpsAgent : httpAgent;
  }

  const oauthFetch = async (input: string | URL, init: OAuthFetchInit = {}): Promise<Response> => {
    let url: URL;
    try {
      url = new URL(String(input));
    } catch {
      throw new GatewayError('upstream_oauth_error', `"${String(input)}" is not a URL.`);
    }
    const method = init.method ?? 'GET';
    const signal = AbortSignal.any([
      AbortSignal.timeout(timeoutMs),
      ...(init.signal ? [init.signal] : []),
    ]);
    for (let hop = 0; ; hop += 1) {
      const dispatcher = checkUrl(url);
      let response: Response;
      try {
        response = await undiciFetch(url, {
          method,
          headers: init.headers as Record<string, string> | undefined,
          body: init.body ?? null,
          redirect: 'manual',
          signal,
          dispatcher,
        });
      } catch (error) {
        const ours = gatewayCause(error);
        if (ours !== undefined) throw ours;
        const reason = signal.aborted
          ? `no answer within ${timeoutMs} ms`
          : String((error as { cause?: unknown }).cause ?? error);
        throw new GatewayError(
          'upstream_oauth_unavailable',
          `${url.origin}${url.pathname} could not be reached: ${reason}.`,
          { cause: error },
        );
      }
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.body?.cancel();
        if (method !== 'GET') {
          throw new GatewayError(
            'upstream_oauth_error',
            `${url.origin}${url.pathname} redirected a ${method} request (${response.status}); redirects are followed for GET only.`,
          );
        }
        if (hop >= maxRedirects)
          throw new GatewayError(
            'upstream_oauth_error',
            `${url.origin}${url.pathname}: more than ${maxRedirects} redirects.`,
          );
        url = new URL(location, url);
        continue;
      }
      const body = await readCapped(response, maxBytes, url);
      const buffered = new Response(body.length === 0 || response.status === 204 ? null : body, {
        status: response.status,
        headers: response.headers,
      });
      // Where a redirect ended; JSON consumers ignore it, errors may name it.
      Object.defineProperty(buffered, 'url', { value: url.href });
      return buffered;
    }
  };
  return Object.assign(oauthFetch, {
    close: async () => {
      await Promise.all([httpsAgent.close(), httpAgent.close()]);
    },
  });
}
