/**
 * The add/edit server form as plain data: what the inputs hold, the API body
 * they make (POST/PUT …/servers and POST …/servers/test take the same one), and
 * the form an existing server opens with.
 *
 * Secret values (header values, the OAuth client secret, environment values)
 * are never returned by the API, and PUT replaces the whole definition: an
 * edit therefore asks for them again, and an empty one is refused here rather
 * than silently dropped.
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
}

export interface HeaderRow {
  name: string;
  value: string;
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
  /** Whether the stored server has a client secret (edit: it must be given again). */
  hadClientSecret: boolean;
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
    hadClientSecret: false,
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

/** The form an existing server opens with; secret values are left empty to be given again. */
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
      })),
      ...memberEnv.map(([name, entry]): EnvRow => ({
        name,
        kind: 'member_secret',
        value: entry.member_secret,
        description: entry.description ?? '',
      })),
    ],
    timeoutMs: String(detail.timeout_ms),
    authMode: auth.mode,
    headers: auth.header_names.map((name) => ({ name, value: '' })),
    forwardIdentity: auth.forward_identity,
    grant: auth.oauth?.grant ?? 'per_user',
    clientId: auth.oauth?.client_id ?? '',
    hadClientSecret: auth.oauth?.has_client_secret ?? false,
    scopes: (auth.oauth?.scopes ?? []).join(' '),
    omitResource: auth.oauth?.omit_resource ?? false,
    authorizeParams: Object.entries(auth.oauth?.authorize_params ?? {})
      .map(([name, value]) => `${name}=${value}`)
      .join('\n'),
    captureMode: detail.capture.mode,
    captureMasks: detail.capture.masks.join('\n'),
  };
}

function authBody(form: ServerForm, issues: FieldIssue[]): ServerBody['upstream_auth'] {
  const forward_identity = form.forwardIdentity;
  if (form.authMode === 'headers') {
    const headers: Record<string, { value: string }> = {};
    for (const row of form.headers) {
      const name = row.name.trim();
      if (name === '' && row.value === '') continue;
      if (row.value === '')
        issues.push({
          path: `body.upstream_auth.headers.${name}`,
          message: 'needs its value (values are never shown again: enter it to keep it)',
        });
      headers[name] = { value: row.value };
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
    if (form.hadClientSecret && form.clientSecret === '' && clientId !== '')
      issues.push({
        path: 'body.upstream_auth.oauth.client_secret',
        message: 'enter the client secret again (it is never shown), or clear the client id',
      });
    return {
      mode: 'oauth',
      forward_identity,
      oauth: {
        grant: form.grant,
        ...(clientId === '' ? {} : { client_id: clientId }),
        ...(form.clientSecret === '' ? {} : { client_secret: form.clientSecret }),
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
    } else {
      if (row.value === '')
        issues.push({
          path: `body.env.${name}`,
          message: 'needs its value (values are never shown again: enter it to keep it)',
        });
      env[name] = row.value;
    }
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
