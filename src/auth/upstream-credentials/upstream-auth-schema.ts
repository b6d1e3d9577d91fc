/**
 * The shape of a server's `upstream_auth`, shared by the declarative config
 * (secret values by reference: `{ value_env }`) and the admin API (literal
 * values, sealed on arrival: `{ value }`).
 */
import { z } from 'zod';

/** Mode names of earlier drafts, refused with the spelling that replaced them. */
const RENAMED_MODES: Readonly<Record<string, string>> = {
  oauth_user: 'mode: oauth with grant: per_user',
  oauth_shared: 'mode: oauth with grant: shared',
  client_credentials: 'mode: oauth with grant: client_credentials',
};

export const OAUTH_GRANTS = ['per_user', 'shared', 'client_credentials'] as const;
export type OAuthGrant = (typeof OAUTH_GRANTS)[number];

// RFC 6749 §3.3 scope-token.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Authorization request parameters the OAuth client sets itself (RFC 6749 §4.1.1, RFC 7636, RFC 8707). */
const OWN_AUTHORIZE_PARAMS = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'scope',
  'code_challenge',
  'code_challenge_method',
  'resource',
  'request',
  'request_uri',
]);

// RFC 9110 §5.6.2 token characters.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Headers the gateway (or the HTTP connection) owns: hop-by-hop headers
 * (RFC 9110 §7.6.1), framing, and the MCP transport's own headers, which a
 * static value would corrupt.
 */
const RESERVED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'accept',
  'content-type',
  'last-event-id',
  'mcp-session-id',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
  'x-portcullis-identity',
]);

/** Why `name` cannot be a static upstream header, or undefined when it can. */
export function headerNameProblem(name: string): string | undefined {
  if (!TOKEN.test(name)) return 'is not a valid HTTP header name';
  const lower = name.toLowerCase();
  if (RESERVED.has(lower) || lower.startsWith('mcp-param-'))
    return 'is set by the gateway and cannot be configured';
  return undefined;
}

/** Header values go on the wire as they are: no control characters (RFC 9110 §5.5). */
export function isValidHeaderValue(value: string): boolean {
  // eslint-disable-next-line no-control-regex
  return value.length > 0 && !/[\x00-\x08\x0a-\x1f\x7f]/.test(value);
}

/** `upstream_auth.oauth`: the gateway as an OAuth client of this upstream. */
export interface DeclaredOAuth<V> {
  grant: OAuthGrant;
  client_id?: string | undefined;
  client_secret?: V | undefined;
  scopes: string[];
  omit_resource: boolean;
  authorize_params: Record<string, string>;
}

export interface DeclaredUpstreamAuth<V> {
  mode: 'none' | 'headers' | 'oauth';
  headers?: Record<string, V> | undefined;
  oauth?: DeclaredOAuth<V> | undefined;
  forward_identity: boolean;
}

/** The `oauth` fields every form shares; the client secret is given per form. */
export const oauthFields = {
  grant: z
    .enum(OAUTH_GRANTS)
    .describe(
      'per_user: each member connects their own account; shared: an admin connects one account for the workspace; client_credentials: the gateway authenticates as itself.',
    ),
  client_id: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe("A client registered at the upstream's authorization server; CIMD or DCR otherwise."),
  scopes: z
    .array(z.string().regex(SCOPE_TOKEN, 'must be an OAuth scope token (RFC 6749 §3.3)'))
    .max(50)
    .default([])
    .describe('Scopes to request instead of the ones the upstream advertises.'),
  omit_resource: z
    .boolean()
    .default(false)
    .describe(
      'Do not send the RFC 8707 resource parameter (authorization servers that refuse it).',
    ),
  authorize_params: z
    .record(
      z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be a parameter name'),
      z.string().max(1000),
    )
    .default({})
    .describe('Extra authorization request parameters, e.g. access_type: offline.'),
};

/** Checks shared by both forms of the `oauth` object. */
function checkOAuth(
  oauth: { client_id?: string | undefined; authorize_params: Record<string, string> },
  hasSecret: boolean,
  secretField: string,
  ctx: z.RefinementCtx,
): void {
  if (hasSecret && oauth.client_id === undefined)
    ctx.addIssue({ code: 'custom', path: [secretField], message: 'needs client_id' });
  for (const name of Object.keys(oauth.authorize_params))
    if (OWN_AUTHORIZE_PARAMS.has(name))
      ctx.addIssue({
        code: 'custom',
        path: ['authorize_params', name],
        message: 'is set by the gateway and cannot be configured',
      });
}

/** Declarative config: the client secret by reference only (`client_secret_env`). */
export const configOAuthSchema = z
  .strictObject({
    ...oauthFields,
    client_secret_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
    client_secret: z.unknown().optional(),
  })
  .superRefine((oauth, ctx) => {
    if (oauth.client_secret !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['client_secret'],
        message: 'secret values are not allowed inline; use client_secret_env',
      });
    checkOAuth(oauth, oauth.client_secret_env !== undefined, 'client_secret_env', ctx);
  })
  .transform(
    ({
      client_secret_env,
      client_secret: _inline,
      ...oauth
    }): DeclaredOAuth<{ value_env: string }> => ({
      ...oauth,
      ...(client_secret_env === undefined
        ? {}
        : { client_secret: { value_env: client_secret_env } }),
    }),
  );

/** Admin API: the client secret itself, sealed at once and never returned. */
export const apiClientSecret = z
  .string()
  .min(1)
  .max(4096)
  .refine(isValidHeaderValue, 'must not contain control characters')
  .transform((value) => ({ value }));

/**
 * The admin API's `oauth`, around how its client secret is given: the secret
 * itself, or (replacing a stored server) also a marker keeping the stored one.
 */
export function apiOAuthSchemaWith<V>(clientSecret: z.ZodType<V>): z.ZodType<DeclaredOAuth<V>> {
  return z
    .strictObject({ ...oauthFields, client_secret: clientSecret.optional() })
    .superRefine((oauth, ctx) => {
      checkOAuth(oauth, oauth.client_secret !== undefined, 'client_secret', ctx);
    })
    .transform(({ client_secret, ...oauth }): DeclaredOAuth<V> => ({
      ...oauth,
      ...(client_secret === undefined ? {} : { client_secret }),
    }));
}

export const apiOAuthSchema = apiOAuthSchemaWith(apiClientSecret);

/** Builds the `upstream_auth` schema around how one secret value is given. */
export function upstreamAuthSchema<V>(
  value: z.ZodType<V>,
  oauth: z.ZodType<DeclaredOAuth<V>>,
): z.ZodType<DeclaredUpstreamAuth<V>> {
  return z
    .strictObject({
      mode: z.string().default('none'),
      headers: z.record(z.string(), value).optional(),
      oauth: oauth.optional(),
      forward_identity: z
        .boolean()
        .default(false)
        .describe('Send a signed X-Portcullis-Identity JWT naming the caller with every request.'),
    })
    .superRefine((auth, ctx) => {
      const renamed = RENAMED_MODES[auth.mode];
      if (renamed !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['mode'],
          message: `upstream auth mode "${auth.mode}" is now spelled ${renamed}`,
        });
        return;
      }
      if (!['none', 'headers', 'oauth'].includes(auth.mode)) {
        ctx.addIssue({
          code: 'custom',
          path: ['mode'],
          message: 'must be one of none, headers, oauth',
        });
        return;
      }
      if (auth.mode !== 'headers' && auth.headers !== undefined)
        ctx.addIssue({ code: 'custom', path: ['headers'], message: 'needs mode: headers' });
      if (auth.mode !== 'oauth' && auth.oauth !== undefined)
        ctx.addIssue({ code: 'custom', path: ['oauth'], message: 'needs mode: oauth' });
      if (auth.mode === 'oauth' && auth.oauth === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['oauth'],
          message: 'mode oauth needs oauth.grant (per_user, shared or client_credentials)',
        });
      if (auth.mode !== 'headers') return;
      const names = Object.keys(auth.headers ?? {});
      if (names.length === 0)
        ctx.addIssue({
          code: 'custom',
          path: ['headers'],
          message: 'mode headers needs at least one header',
        });
      const seen = new Set<string>();
      for (const name of names) {
        const problem = headerNameProblem(name);
        if (problem !== undefined)
          ctx.addIssue({ code: 'custom', path: ['headers', name], message: problem });
        if (seen.has(name.toLowerCase()))
          ctx.addIssue({
            code: 'custom',
            path: ['headers', name],
            message: 'is declared twice (header names ignore case)',
          });
        seen.add(name.toLowerCase());
      }
    }) as z.ZodType<DeclaredUpstreamAuth<V>>;
}

/** Declarative config: secret values by reference only. */
export const configHeaderValue = z
  .strictObject({
    value_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
    value: z.unknown().optional(),
  })
  .superRefine((entry, ctx) => {
    if (entry.value !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: 'secret values are not allowed inline; use value_env',
      });
    else if (entry.value_env === undefined)
      ctx.addIssue({ code: 'custom', path: ['value_env'], message: 'is required' });
  })
  .transform((entry) => ({ value_env: entry.value_env ?? '' }));

/** Admin API: the caller sends the secret itself; it is sealed at once and never returned. */
export const apiHeaderValue = z.strictObject({
  value: z
    .string()
    .refine(isValidHeaderValue, 'must be a non-empty header value without control characters'),
});

export const configUpstreamAuthSchema = upstreamAuthSchema(configHeaderValue, configOAuthSchema);
export const apiUpstreamAuthSchema = upstreamAuthSchema(apiHeaderValue, apiOAuthSchema);
export type ConfigUpstreamAuth = DeclaredUpstreamAuth<{ value_env: string }>;
export type ApiUpstreamAuth = DeclaredUpstreamAuth<{ value: string }>;
