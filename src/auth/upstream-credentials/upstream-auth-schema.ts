/**
 * The shape of a server's `upstream_auth`, shared by the declarative config
 * (secret values by reference: `{ value_env }`) and the admin API (literal
 * values, sealed on arrival: `{ value }`).
 */
import { z } from 'zod';

/** Modes of the upstream OAuth client, which this build does not have yet. */
const LATER_MODES = ['oauth_user', 'oauth_shared', 'client_credentials'] as const;

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

export interface DeclaredUpstreamAuth<V> {
  mode: 'none' | 'headers';
  headers?: Record<string, V> | undefined;
  forward_identity: boolean;
}

/** Builds the `upstream_auth` schema around how one header value is given. */
export function upstreamAuthSchema<V>(value: z.ZodType<V>): z.ZodType<DeclaredUpstreamAuth<V>> {
  return z
    .strictObject({
      mode: z.enum(['none', 'headers', ...LATER_MODES]).default('none'),
      headers: z.record(z.string(), value).optional(),
      forward_identity: z
        .boolean()
        .default(false)
        .describe('Send a signed X-Portcullis-Identity JWT naming the caller with every request.'),
    })
    .superRefine((auth, ctx) => {
      if ((LATER_MODES as readonly string[]).includes(auth.mode)) {
        ctx.addIssue({
          code: 'custom',
          path: ['mode'],
          message: `upstream auth mode "${auth.mode}" is not supported yet; use none or headers`,
        });
        return;
      }
      if (auth.mode === 'none' && auth.headers !== undefined)
        ctx.addIssue({ code: 'custom', path: ['headers'], message: 'needs mode: headers' });
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

export const configUpstreamAuthSchema = upstreamAuthSchema(configHeaderValue);
export const apiUpstreamAuthSchema = upstreamAuthSchema(apiHeaderValue);
export type ConfigUpstreamAuth = DeclaredUpstreamAuth<{ value_env: string }>;
export type ApiUpstreamAuth = DeclaredUpstreamAuth<{ value: string }>;
