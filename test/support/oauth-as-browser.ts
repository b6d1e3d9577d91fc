/**
 * A minimal browser for OAuth system tests: a cookie jar (name → value per
 * path prefix) and manual redirects, so each hop can be asserted.
 */
import crypto from 'node:crypto';

interface StoredCookie {
  name: string;
  value: string;
  path: string;
}

export interface Hop {
  status: number;
  location: string | undefined;
  body: string;
  headers: Headers;
}

export class OAuthBrowser {
  readonly #cookies: StoredCookie[] = [];
  readonly base: string;

  constructor(base: string) {
    this.base = base;
  }

  #cookieHeader(url: URL): string {
    return this.#cookies
      .filter((cookie) => url.pathname.startsWith(cookie.path))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  #store(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const [name, ...rest] = (pair ?? '').split('=');
      const pathAttribute = attributes.find((a) => a.toLowerCase().startsWith('path='));
      const cookie = { name: name!, value: rest.join('='), path: pathAttribute?.slice(5) ?? '/' };
      const index = this.#cookies.findIndex(
        (c) => c.name === cookie.name && c.path === cookie.path,
      );
      const expired =
        attributes.some((a) => /^expires=thu, 01 jan 1970/i.test(a)) || cookie.value === '';
      if (index !== -1) this.#cookies.splice(index, 1);
      if (!expired) this.#cookies.push(cookie);
    }
  }

  async request(
    target: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<Hop> {
    const url = new URL(target, this.base);
    const headers: Record<string, string> = {};
    const cookie = this.#cookieHeader(url);
    if (cookie !== '') headers.cookie = cookie;
    let body: string | undefined;
    if (init.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body,
      redirect: 'manual',
    });
    this.#store(response.headers);
    return {
      status: response.status,
      location: response.headers.get('location') ?? undefined,
      body: await response.text(),
      headers: response.headers,
    };
  }
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.hash('sha256', verifier, 'base64url') };
}

export interface AuthorizeRequest {
  clientId: string;
  redirectUri: string;
  resource?: string;
  scope?: string;
  challenge: string;
  state?: string;
  challengeMethod?: string;
}

export function authorizeUrl(base: string, request: AuthorizeRequest): string {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    scope: request.scope ?? 'mcp offline_access',
    code_challenge: request.challenge,
    code_challenge_method: request.challengeMethod ?? 'S256',
    state: request.state ?? crypto.randomBytes(8).toString('hex'),
  });
  if (request.resource !== undefined) params.set('resource', request.resource);
  return `${base}/authorize?${params.toString()}`;
}

/**
 * Follows an authorization through login and consent (the stand-in
 * interaction routes) until the provider redirects to the client. Returns
 * the final redirect URL.
 */
export async function runAuthorization(browser: OAuthBrowser, url: string): Promise<URL> {
  let hop = await browser.request(url);
  for (let step = 0; step < 8; step += 1) {
    if (hop.status !== 303 && hop.status !== 302) {
      throw new Error(`authorization stopped with ${hop.status}: ${hop.body}`);
    }
    const location = new URL(hop.location!, browser.base);
    const interaction = /^\/interaction\/([^/]+)$/.exec(location.pathname);
    if (location.origin !== new URL(browser.base).origin) return location;
    if (interaction !== null) {
      const details = JSON.parse((await browser.request(location.href)).body) as { prompt: string };
      hop = await browser.request(`${location.pathname}/${details.prompt}`, { method: 'POST' });
    } else {
      hop = await browser.request(location.href);
    }
  }
  throw new Error('authorization did not finish');
}
