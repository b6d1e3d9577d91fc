/**
 * A tiny cookie-keeping HTTP client over undici for scripted browser flows
 * (sign-in, consent, invitations): no redirect following unless asked,
 * Set-Cookie stored per host and path (RFC 6265 §5.1.4 path matching; Domain
 * and Secure are ignored: tests talk to one host).
 *
 *   const jar = createCookieJar();
 *   const page = await jar.get(`${url}/login`);
 *   const form = findForm(page.body);
 *   await jar.post(new URL(form.action, url).href, { ...form.fields, email, password });
 *
 *   // a whole OAuth authorization through the gateway's pages:
 *   const callback = await signInAndConsent(authorizeUrl, { email, password });
 *   new URL(callback).searchParams.get('code');
 */
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'undici';

export interface JarResponse {
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Absolute Location of a redirect, else undefined. */
  location: string | undefined;
}

export interface JarRequest {
  method?: string;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string> | URLSearchParams;
  headers?: Record<string, string>;
}

interface StoredCookie {
  host: string;
  path: string;
  name: string;
  value: string;
  expiresAt: number | undefined;
}

export interface CookieJar {
  request(url: string, init?: JarRequest): Promise<JarResponse>;
  get(url: string, headers?: Record<string, string>): Promise<JarResponse>;
  post(
    url: string,
    form: Record<string, string> | URLSearchParams,
    headers?: Record<string, string>,
  ): Promise<JarResponse>;
  /** GETs `url` and follows redirects until a non-redirect answer or `stop(location)` is true. */
  followRedirects(
    url: string,
    options?: { stop?: (location: string) => boolean; maxHops?: number },
  ): Promise<JarResponse>;
  /** The cookies this jar would send to `url`, as name → value. */
  cookiesFor(url: string): Map<string, string>;
  set(url: string, name: string, value: string): void;
  clear(): void;
}

function defaultPath(pathname: string): string {
  const slash = pathname.lastIndexOf('/');
  return slash <= 0 ? '/' : pathname.slice(0, slash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

export function createCookieJar(): CookieJar {
  let cookies: StoredCookie[] = [];

  function store(url: URL, header: string): void {
    const [pair = '', ...attributes] = header.split(';');
    const equals = pair.indexOf('=');
    if (equals <= 0) return;
    const cookie: StoredCookie = {
      host: url.host,
      path: defaultPath(url.pathname),
      name: pair.slice(0, equals).trim(),
      value: pair.slice(equals + 1).trim(),
      expiresAt: undefined,
    };
    for (const attribute of attributes) {
      const [key = '', ...rest] = attribute.split('=');
      const value = rest.join('=').trim();
      switch (key.trim().toLowerCase()) {
        case 'path':
          if (value.startsWith('/')) cookie.path = value;
          break;
        case 'max-age':
          cookie.expiresAt = Date.now() + Number(value) * 1000;
          break;
        case 'expires':
          cookie.expiresAt ??= Date.parse(value);
          break;
      }
    }
    cookies = cookies.filter(
      (c) => !(c.host === cookie.host && c.path === cookie.path && c.name === cookie.name),
    );
    if (cookie.expiresAt === undefined || cookie.expiresAt > Date.now()) cookies.push(cookie);
  }

  function cookiesFor(target: string): Map<string, string> {
    const url = new URL(target);
    const now = Date.now();
    const matching = cookies
      .filter((c) => c.host === url.host && pathMatches(url.pathname, c.path))
      .filter((c) => c.expiresAt === undefined || c.expiresAt > now)
      .sort((a, b) => b.path.length - a.path.length);
    const out = new Map<string, string>();
    for (const c of matching) if (!out.has(c.name)) out.set(c.name, c.value);
    return out;
  }

  async function send(target: string, init: JarRequest = {}): Promise<JarResponse> {
    const url = new URL(target);
    const headers: Record<string, string> = { ...init.headers };
    const jarCookies = [...cookiesFor(target)].map(([name, value]) => `${name}=${value}`);
    if (jarCookies.length > 0) headers.cookie = jarCookies.join('; ');
    let body: string | undefined;
    if (init.form !== undefined) {
      body = new URLSearchParams(init.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const response = await request(url, {
      method: (init.method ?? (body === undefined ? 'GET' : 'POST')) as 'GET',
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const setCookie = response.headers['set-cookie'];
    for (const header of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [])
      store(url, header);
    const text = await response.body.text();
    const location = response.headers.location;
    return {
      url: target,
      status: response.statusCode,
      headers: response.headers,
      body: text,
      location:
        typeof location === 'string' && response.statusCode >= 300 && response.statusCode < 400
          ? new URL(location, url).href
          : undefined,
    };
  }

  return {
    request: send,
    get: (url, headers) => send(url, headers === undefined ? {} : { headers }),
    post: (url, form, headers) =>
      send(url, { form, ...(headers === undefined ? {} : { headers }) }),
    async followRedirects(url, options = {}) {
      let response = await send(url);
      for (let hop = 0; response.location !== undefined; hop += 1) {
        if (hop >= (options.maxHops ?? 20)) throw new Error(`too many redirects from ${url}`);
        if (options.stop?.(response.location) === true) return response;
        response = await send(response.location);
      }
      return response;
    },
    cookiesFor,
    set(url, name, value) {
      store(new URL(url), `${name}=${value}; Path=/`);
    },
    clear() {
      cookies = [];
    },
  };
}

export interface HtmlForm {
  action: string;
  method: string;
  /** Hidden and pre-filled input values by name (buttons excluded). */
  fields: Record<string, string>;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#96;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The forms of a page (the gateway's own markup: double-quoted attributes). */
export function findForms(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attributes = match[1] ?? '';
    const action = decodeEntities(/\baction="([^"]*)"/.exec(attributes)?.[1] ?? '');
    const method = (/\bmethod="([^"]*)"/.exec(attributes)?.[1] ?? 'get').toLowerCase();
    const fields: Record<string, string> = {};
    for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*)>/g)) {
      const name = /\bname="([^"]*)"/.exec(input[1] ?? '')?.[1];
      if (name === undefined) continue;
      fields[decodeEntities(name)] = decodeEntities(
        /\bvalue="([^"]*)"/.exec(input[1] ?? '')?.[1] ?? '',
      );
    }
    forms.push({ action, method, fields });
  }
  return forms;
}

export function findForm(html: string, actionSuffix?: string): HtmlForm {
  const form = findForms(html).find(
    (candidate) =>
      actionSuffix === undefined || candidate.action.split('?')[0]?.endsWith(actionSuffix),
  );
  if (form === undefined) {
    const title = /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? html.slice(0, 200);
    throw new Error(
      `no form${actionSuffix === undefined ? '' : ` posting to …${actionSuffix}`} on page "${title}"`,
    );
  }
  return form;
}

/**
 * Drives an OAuth authorization through the gateway's sign-in and consent
 * pages and resolves to the URL the gateway finally redirects to (the
 * client's redirect_uri with `code`, `state` and `iss`, or an error).
 */
export async function signInAndConsent(
  authorizeUrl: string,
  options: { email: string; password: string; approve?: boolean; jar?: CookieJar },
): Promise<string> {
  const jar = options.jar ?? createCookieJar();
  const gateway = new URL(authorizeUrl).origin;
  const leavesGateway = (location: string) => new URL(location).origin !== gateway;
  let response = await jar.followRedirects(authorizeUrl, { stop: leavesGateway });
  for (let step = 0; step < 10; step += 1) {
    if (response.location !== undefined) return response.location;
    if (response.status !== 200 && response.status !== 403)
      throw new Error(
        `unexpected ${response.status} at ${response.url}: ${response.body.slice(0, 300)}`,
      );
    if (options.approve !== false && response.body.includes('<title>No access'))
      throw new Error(
        `no access: ${response.body
          .replace(/<[^>]+>/g, ' ')
          .replace(/\s+/g, ' ')
          .slice(0, 300)}`,
      );
    const form = findForms(response.body)[0];
    if (form === undefined)
      throw new Error(`no form at ${response.url}: ${response.body.slice(0, 300)}`);
    const action = new URL(form.action, response.url).href;
    const fields = action.endsWith('/login')
      ? { ...form.fields, email: options.email, password: options.password }
      : { ...form.fields, action: options.approve === false ? 'deny' : 'approve' };
    response = await jar.post(action, fields, { origin: gateway });
    if (response.location !== undefined && !leavesGateway(response.location))
      response = await jar.followRedirects(response.location, { stop: leavesGateway });
  }
  throw new Error('the authorization did not finish within 10 pages');
}

export interface RegisteredClient {
  clientId: string;
  redirectUri: string;
}

/** Registers a public client by DCR (RFC 7591) at `<gateway>/register`. */
export async function registerClient(
  gateway: string,
  options: { redirectUri: string; clientName?: string },
): Promise<RegisteredClient> {
  const response = await request(`${gateway}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      redirect_uris: [options.redirectUri],
      client_name: options.clientName ?? 'Test client',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    }),
  });
  const body = (await response.body.json()) as { client_id?: string };
  if (response.statusCode !== 201 || typeof body.client_id !== 'string')
    throw new Error(`registration failed: ${response.statusCode} ${JSON.stringify(body)}`);
  return { clientId: body.client_id, redirectUri: options.redirectUri };
}

export interface AuthorizationRequest {
  url: string;
  state: string;
  codeVerifier: string;
}

/** An authorization URL with PKCE S256, `resource` (RFC 8707) and `state`. */
export function buildAuthorizeUrl(
  gateway: string,
  client: RegisteredClient,
  options: { resource: string | string[]; scope?: string },
): AuthorizationRequest {
  const codeVerifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const url = new URL(`${gateway}/authorize`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.clientId);
  url.searchParams.set('redirect_uri', client.redirectUri);
  url.searchParams.set('scope', options.scope ?? 'mcp offline_access');
  url.searchParams.set('state', state);
  url.searchParams.set(
    'code_challenge',
    createHash('sha256').update(codeVerifier).digest('base64url'),
  );
  url.searchParams.set('code_challenge_method', 'S256');
  for (const resource of ([] as string[]).concat(options.resource))
    url.searchParams.append('resource', resource);
  return { url: url.href, state, codeVerifier };
}
