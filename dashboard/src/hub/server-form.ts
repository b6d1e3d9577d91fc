/**
 * The add/edit server form as plain data: what the inputs hold, the API body
 * they make (POST/PUT …/servers and POST …/servers/test take the same one), and
 * the form an existing server opens with.
 *
 * Secret values (header values, the OAuth client secret, environment values)
 * are never returned by the API, and PUT replaces the whole definition. An
 * edit opens with each stored secret empty and marked stored: left empty, it
 * is sent as `{ stored: true }` and the API keeps the stored value; typed, the
 * new value replaces it; a removed row removes it. A stored header value or
 * client secret does not follow the server to another host (the API refuses
 * it), so moving the URL to another origin asks for them again here first.
 */
import { ApiError } from '../api/client.ts';
import type { ServerBody, ServerDetail } from './api-types.ts';

export type { ServerBody, ServerDetail };
export type Transport = ServerBody['transport'];
export type AuthMode = 'none' | 'headers' | 'oauth';
export type OAuthGrant = 'per_user' | 'shared' | 'client_credentials';
export type CaptureMode = 'off' | 'metadata' | 'full';

export interface EnvRow {
  name: string;
  kind: 'literal' | 'member_secret';
  /** The literal value, or the member secret's name. */
  value: string;
  /** What members should enter (member secrets only). */
  description: string;
  /** Editing: the name a value is stored under, kept while `value` stays empty. */
  storedAs: string | null;
}

export interface HeaderRow {
  name: string;
  value: string;
  /** Editing: the header a value is stored for, kept while `value` stays empty. */
  storedAs: string | null;
}

export interface ServerForm {
  id: string;
  name: string;
  transport: Transport;
  url: string;
  command: string;
  /** One argument per line. */
  args: string;
  cwd: string;
  env: EnvRow[];
  /** Milliseconds; empty for the gateway's default. */
  timeoutMs: string;
  authMode: AuthMode;
  headers: HeaderRow[];
  forwardIdentity: boolean;
  grant: OAuthGrant;
  clientId: string;
  clientSecret: string;
  /** Editing: a client secret is stored, kept while `clientSecret` stays empty. */
  storedClientSecret: boolean;
  /** Editing: the client id the stored secret belongs to. */
  storedClientId: string;
  /** Editing: the URL the stored header values and client secret were given for. */
  storedUrl: string;
  /** Space-separated. */
  scopes: string;
  omitResource: boolean;
  /** One `name=value` per line. */
  authorizeParams: string;
  captureMode: CaptureMode;
  /** One field path per line. */
  captureMasks: string;
}

/** A problem with one field; `path` as the API names it (`body.url`, `body.env.TOKEN`). */
export interface FieldIssue {
  path: string;
  message: string;
}

export function emptyServerForm(): ServerForm {
  return {
    id: '',
    name: '',
    transport: 'http',
    url: '',
    command: '',
    args: '',
    cwd: '',
    env: [],
    timeoutMs: '',
    authMode: 'none',
    headers: [],
    forwardIdentity: false,
    grant: 'per_user',
    clientId: '',
    clientSecret: '',
    storedClientSecret: false,
    storedClientId: '',
    storedUrl: '',
    scopes: '',
    omitResource: false,
    authorizeParams: '',
    captureMode: 'metadata',
    captureMasks: '',
  };
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');

/** The form an existing server opens with; stored secret values are left empty and kept. */
export function formFromDetail(detail: ServerDetail): ServerForm {
  const auth = detail.upstream_auth;
  const memberEnv = Object.entries(detail.member_env ?? {});
  return {
    ...emptyServerForm(),
    id: detail.id,
    name: detail.name === detail.id ? '' : detail.name,
    transport: detail.transport,
    url: detail.url ?? '',
    command: detail.command ?? '',
    args: detail.args.join('\n'),
    cwd: detail.cwd ?? '',
    env: [
      ...detail.env_names.map((name): EnvRow => ({
        name,
        kind: 'literal',
        value: '',
        description: '',
        storedAs: name,
      })),
      ...memberEnv.map(([name, entry]): EnvRow => ({
        name,
        kind: 'member_secret',
        value: entry.member_secret,
        description: entry.description ?? '',
        storedAs: null,
      })),
    ],
    timeoutMs: String(detail.timeout_ms),
    authMode: auth.mode,
    headers: auth.header_names.map((name) => ({ name, value: '', storedAs: name })),
    forwardIdentity: auth.forward_identity,
    grant: auth.oauth?.grant ?? 'per_user',
    clientId: auth.oauth?.client_id ?? '',
    storedClientSecret: auth.oauth?.has_client_secret ?? false,
    storedClientId: auth.oauth?.client_id ?? '',
    storedUrl: detail.url ?? '',
    scopes: (auth.oauth?.scopes ?? []).join(' '),
    omitResource: auth.oauth?.omit_resource ?? false,
    authorizeParams: Object.entries(auth.oauth?.authorize_params ?? {})
      .map(([name, value]) => `${name}=${value}`)
      .join('\n'),
    captureMode: detail.capture.mode,
    captureMasks: detail.capture.masks.join('\n'),
  };
}

type Auth = NonNullable<ServerBody['upstream_auth']>;
const STORED = { stored: true } as const;

const originOf = (url: string): string | undefined => {
  try {
    return new URL(url.trim()).origin;
  } catch {
    return undefined;
  }
};

/** Whether a row still names what its value is stored under (header names ignore case). */
const keepsStored = (storedAs: string | null, name: string, ignoreCase: boolean): boolean =>
  storedAs !== null &&
  (ignoreCase ? storedAs.toLowerCase() === name.trim().toLowerCase() : storedAs === name.trim());

/** Whether a header row keeps a stored value while its value input stays empty. */
export const keepsStoredHeader = (row: HeaderRow): boolean =>
  keepsStored(row.storedAs, row.name, true);

/** Whether an environment row keeps a stored value while its value input stays empty. */
export const keepsStoredEnv = (row: EnvRow): boolean =>
  row.kind === 'literal' && keepsStored(row.storedAs, row.name, false);

function authBody(form: ServerForm, issues: FieldIssue[]): Auth {
  const forward_identity = form.forwardIdentity;
  // The API keeps a stored secret only for the origin it was given for.
  const moved = form.storedUrl !== '' && originOf(form.storedUrl) !== originOf(form.url);
  const movedMessage = `enter it again: the stored value stays with ${originOf(form.storedUrl) ?? form.storedUrl}, not another host`;
  if (form.authMode === 'headers') {
    const headers: NonNullable<Auth['headers']> = {};
    for (const row of form.headers) {
      const name = row.name.trim();
      if (name === '' && row.value === '') continue;
      const path = `body.upstream_auth.headers.${name}`;
      if (row.value !== '') headers[name] = { value: row.value };
      else if (!keepsStoredHeader(row)) issues.push({ path, message: 'needs its value' });
      else if (moved) issues.push({ path, message: movedMessage });
      else headers[name] = STORED;
    }
    return { mode: 'headers', headers, forward_identity };
  }
  if (form.authMode === 'oauth') {
    const authorize_params: Record<string, string> = {};
    for (const line of lines(form.authorizeParams)) {
      const at = line.indexOf('=');
      if (at <= 0)
        issues.push({
          path: 'body.upstream_auth.oauth.authorize_params',
          message: `"${line}" must be name=value`,
        });
      else authorize_params[line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
    const clientId = form.clientId.trim();
    let clientSecret: string | typeof STORED | undefined =
      form.clientSecret === '' ? undefined : form.clientSecret;
    if (clientSecret === undefined && form.storedClientSecret && clientId !== '') {
      const path = 'body.upstream_auth.oauth.client_secret';
      if (clientId !== form.storedClientId)
        issues.push({
          path,
          message: `enter the secret of client ${clientId}: the stored one belongs to ${form.storedClientId}`,
        });
      else if (moved) issues.push({ path, message: movedMessage });
      else clientSecret = STORED;
    }
    return {
      mode: 'oauth',
      forward_identity,
      oauth: {
        grant: form.grant,
        ...(clientId === '' ? {} : { client_id: clientId }),
        ...(clientSecret === undefined ? {} : { client_secret: clientSecret }),
        scopes: form.scopes.split(/\s+/).filter((scope) => scope !== ''),
        omit_resource: form.omitResource,
        authorize_params,
      },
    };
  }
  return { mode: 'none', forward_identity };
}

function envBody(form: ServerForm, issues: FieldIssue[]): NonNullable<ServerBody['env']> {
  const env: NonNullable<ServerBody['env']> = {};
  for (const row of form.env) {
    const name = row.name.trim();
    if (name === '' && row.value === '') continue;
    if (row.kind === 'member_secret') {
      const description = row.description.trim();
      env[name] = {
        member_secret: row.value.trim(),
        ...(description === '' ? {} : { description }),
      };
    } else if (row.value !== '') env[name] = row.value;
    else if (keepsStoredEnv(row)) env[name] = STORED;
    else issues.push({ path: `body.env.${name}`, message: 'needs its value' });
  }
  return env;
}

/**
 * The API body for the form, with the problems found before sending it
 * (the API checks everything else and names fields the same way).
 */
export function serverBodyFromForm(form: ServerForm): { body: ServerBody; issues: FieldIssue[] } {
  const issues: FieldIssue[] = [];
  const name = form.name.trim();
  const timeout = form.timeoutMs.trim();
  let timeout_ms: number | undefined;
  if (timeout !== '') {
    timeout_ms = Number(timeout);
    if (!Number.isInteger(timeout_ms))
      issues.push({ path: 'body.timeout_ms', message: 'must be a whole number of milliseconds' });
  }
  const masks = lines(form.captureMasks);
  const common = {
    id: form.id.trim(),
    ...(name === '' ? {} : { name }),
    ...(timeout_ms === undefined || !Number.isInteger(timeout_ms) ? {} : { timeout_ms }),
    capture: { mode: form.captureMode, masks },
  };
  if (form.transport === 'stdio') {
    const cwd = form.cwd.trim();
    return {
      body: {
        ...common,
        transport: 'stdio',
        command: form.command.trim(),
        args: lines(form.args),
        ...(cwd === '' ? {} : { cwd }),
        env: envBody(form, issues),
      },
      issues,
    };
  }
  return {
    body: {
      ...common,
      transport: form.transport,
      url: form.url.trim(),
      upstream_auth: authBody(form, issues),
    },
    issues,
  };
}

/** The field problems of a failed save, as the API named them. */
export function fieldIssuesOf(error: unknown): FieldIssue[] {
  return error instanceof ApiError ? [...error.issues] : [];
}

/** The messages for one field: its own path and the paths below it. */
export function issuesFor(issues: readonly FieldIssue[], field: string): string[] {
  const path = `body.${field}`;
  return issues
    .filter((issue) => issue.path === path || issue.path.startsWith(`${path}.`))
    .map((issue) =>
      issue.path === path
        ? issue.message
        : `${issue.path.slice(path.length + 1)}: ${issue.message}`,
    );
}
