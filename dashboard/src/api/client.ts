/**
 * The dashboard's only way to the gateway: typed calls on /api/v1, typed by
 * `schema.d.ts` (generated from the API's own OpenAPI document).
 *
 * A browser session is a cookie, so unsafe methods echo the session's CSRF
 * token (`X-CSRF-Token`, from GET /api/v1/me) — the API refuses them otherwise.
 */
import type { paths } from './schema.d.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type SuccessOf<R> =
  R extends Record<200, infer S>
    ? S
    : R extends Record<201, infer S>
      ? S
      : R extends Record<204, unknown>
        ? undefined
        : never;
type JsonOf<S> = S extends { content: { 'application/json': infer J } } ? J : undefined;

/** The JSON a successful call answers. */
export type ApiResult<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { responses: infer R } ? JsonOf<SuccessOf<R>> : never;
/** The JSON body a call takes. */
export type ApiBody<P extends keyof paths, M extends Method> =
  Operation<P, M> extends { requestBody: { content: { 'application/json': infer B } } } ? B : never;
type ParamsOf<P extends keyof paths, M extends Method, Where extends 'path' | 'query'> =
  Operation<P, M> extends { parameters: infer Parameters }
    ? Parameters extends { [K in Where]?: infer Value }
      ? Exclude<Value, undefined>
      : never
    : never;
export type ApiQuery<P extends keyof paths, M extends Method> = ParamsOf<P, M, 'query'>;

/** Paths that have the method M. */
export type PathWith<M extends Method> = {
  [P in keyof paths]: paths[P][M] extends undefined ? never : P;
}[keyof paths];

type Options<P extends keyof paths, M extends Method> = {
  path?: ParamsOf<P, M, 'path'>;
  query?: ApiQuery<P, M>;
  body?: ApiBody<P, M>;
  signal?: AbortSignal;
};

/** One invalid field of a refused request (`body.url`, `query.until`). */
export interface InputIssue {
  readonly path: string;
  readonly message: string;
}

/** An answer that was not a success, with the catalogue code and message the API gave. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The fields a 400 names, when it names them. */
  readonly issues: readonly InputIssue[];
  constructor(status: number, code: string, message: string, issues: readonly InputIssue[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

function issuesOf(body: unknown): InputIssue[] {
  const issues = (body as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return [];
  return issues.filter(
    (issue): issue is InputIssue =>
      typeof (issue as InputIssue | null)?.path === 'string' &&
      typeof (issue as InputIssue).message === 'string',
  );
}

let csrfToken: string | undefined;
/** Set once GET /api/v1/me answered for a browser session. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** `/api/v1/workspaces/{workspaceId}` with `{ workspaceId: 'acme' }` → `/api/v1/workspaces/acme`. */
export function fillPath(template: string, params: Record<string, unknown> | undefined): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null) throw new Error(`Missing path parameter ${name}`);
    return encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value));
  });
}

export function queryString(query: Record<string, unknown> | undefined): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === '') continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(name, String(item));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

async function call(method: Method, template: string, options: object | undefined) {
  const opts = (options ?? {}) as {
    path?: Record<string, unknown>;
    query?: Record<string, unknown>;
    body?: unknown;
    signal?: AbortSignal;
  };
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'get' && csrfToken !== undefined) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(fillPath(template, opts.path) + queryString(opts.query), {
    method: method.toUpperCase(),
    headers,
    credentials: 'same-origin',
    ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
  });
  if (response.status === 204) return undefined;
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new ApiError(
      response.status,
      'bad_response',
      `The gateway answered ${response.status} without JSON.`,
    );
  }
  if (!response.ok) {
    const error = json as { error?: unknown; message?: unknown } | undefined;
    throw new ApiError(
      response.status,
      typeof error?.error === 'string' ? error.error : 'http_error',
      typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`,
      issuesOf(json),
    );
  }
  return json;
}

export const api = {
  get: <P extends PathWith<'get'>>(path: P, options?: Options<P, 'get'>) =>
    call('get', path, options) as Promise<ApiResult<P, 'get'>>,
  post: <P extends PathWith<'post'>>(path: P, options?: Options<P, 'post'>) =>
    call('post', path, options) as Promise<ApiResult<P, 'post'>>,
  put: <P extends PathWith<'put'>>(path: P, options?: Options<P, 'put'>) =>
    call('put', path, options) as Promise<ApiResult<P, 'put'>>,
  patch: <P extends PathWith<'patch'>>(path: P, options?: Options<P, 'patch'>) =>
    call('patch', path, options) as Promise<ApiResult<P, 'patch'>>,
  delete: <P extends PathWith<'delete'>>(path: P, options?: Options<P, 'delete'>) =>
    call('delete', path, options) as Promise<ApiResult<P, 'delete'>>,
};
