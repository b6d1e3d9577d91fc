/**
 * Runtime configuration: environment variables and CLI flags, validated once
 * against one zod schema and frozen (HOUSE_STYLE rule 6). This is the only
 * module that reads process.env for settings.
 */
import path from 'node:path';
import { z } from 'zod';

const csv = z.string().transform((value) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0),
);

const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

export const runtimeConfigSchema = z.object({
  PORTCULLIS_HOST: z.string().min(1).default('127.0.0.1').describe('Interface to listen on.'),
  PORTCULLIS_PORT: z.coerce
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(8080)
    .describe('TCP port to listen on (0 picks a free port).'),
  PORTCULLIS_PUBLIC_URL: z
    .url()
    .optional()
    .describe(
      'Public base URL (scheme, host, optional path prefix, no trailing slash). The OAuth issuer and every resource URL derive from it. Default http://<host>:<port>.',
    ),
  PORTCULLIS_DATA_DIR: z
    .string()
    .min(1)
    .default('./data')
    .describe('Directory for the embedded SQLite store and the generated secret key.'),
  PORTCULLIS_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .describe('PostgreSQL connection URL; switches the store from SQLite to PostgreSQL.'),
  PORTCULLIS_DATABASE_POOL_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(10)
    .describe('PostgreSQL connections per instance.'),
  PORTCULLIS_DATABASE_STATEMENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(30_000)
    .describe(
      "PostgreSQL: longest wait for a connection and longest run of one statement (a lock held elsewhere, an overloaded server); the call then fails with a retryable store_unavailable instead of waiting. A migration's statements are not bounded; reaching the database is, at start too.",
    ),
  PORTCULLIS_REDIS_URL: z
    .url({
      protocol: /^rediss?$/,
      hostname: /./,
      error: 'must be a redis:// or rediss:// URL with a host',
    })
    .optional()
    .describe(
      'Redis URL (`redis://[user:password@]host:port[/db]`, `rediss://` for TLS); shares usage-limit counters, session revocations, sign-in and registration throttles, token refresh leases, policy and configuration change notices between several instances. Unset: all of it stays in memory (one instance). An unreachable Redis at start stops the start (exit 1 within a few seconds, naming it).',
    ),
  PORTCULLIS_SECRET_KEY: z
    .string()
    .min(32, 'must be at least 32 characters (use 32 random bytes, base64)')
    .optional()
    .describe(
      'Master key for encryption at rest and sealed session ids. Generated into the data dir on first run, with a warning, when unset.',
    ),
  PORTCULLIS_PREVIOUS_SECRET_KEYS: csv
    .default([])
    .describe(
      'Former secret keys (comma-separated), still accepted for decryption while `portcullis rotate-key` re-encrypts everything under PORTCULLIS_SECRET_KEY.',
    ),
  PORTCULLIS_CONFIG: z
    .string()
    .optional()
    .describe('Declarative YAML config applied at start (same as `portcullis apply -f`).'),
  PORTCULLIS_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('Log level.'),
  PORTCULLIS_ALLOWED_ORIGINS: csv
    .default([])
    .describe(
      'Extra browser origins allowed to call MCP endpoints (comma-separated). The public URL origin and loopback origins are always allowed; `*` allows any origin (warned at start).',
    ),
  PORTCULLIS_UPSTREAM_ALLOW_PRIVATE: csv
    .default([])
    .describe(
      'Private, loopback or link-local upstream address ranges the SSRF guard lets through (comma-separated CIDRs such as 127.0.0.0/8, or `*`). Warned at start.',
    ),
  PORTCULLIS_OAUTH_FETCH_ALLOW_PRIVATE: csv
    .default([])
    .describe(
      'Private or loopback address ranges the authorization server may fetch client metadata documents from, over plain http too (comma-separated CIDRs, or `*`). For tests and local development only; warned at start.',
    ),
  PORTCULLIS_TRUST_PROXY: boolean
    .default(false)
    .describe(
      'Trust X-Forwarded-For/-Proto from a reverse proxy (TLS termination). Set it only when the gateway is reachable solely through that proxy.',
    ),
  PORTCULLIS_ACCESS_TOKEN_TTL_S: z.coerce
    .number()
    .int()
    .min(60)
    .default(3600)
    .describe('Lifetime of the OAuth access tokens the gateway issues to MCP clients.'),
  PORTCULLIS_REFRESH_TOKEN_TTL_S: z.coerce
    .number()
    .int()
    .min(300)
    .default(30 * 24 * 3600)
    .describe('Lifetime of an OAuth refresh token (each use rotates it).'),
  PORTCULLIS_BROWSER_SESSION_TTL_S: z.coerce
    .number()
    .int()
    .min(300)
    .default(14 * 24 * 3600)
    .describe('Lifetime of a browser sign-in (dashboard, sign-in and consent pages).'),
  PORTCULLIS_SSO_ISSUER: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      'Issuer URL of an external OpenID Connect identity provider for single sign-on; enables "Sign in with …" beside passwords.',
    ),
  PORTCULLIS_SSO_CLIENT_ID: z
    .string()
    .min(1)
    .optional()
    .describe('Client id of the gateway at the single sign-on identity provider.'),
  PORTCULLIS_SSO_CLIENT_SECRET: z
    .string()
    .min(1)
    .optional()
    .describe('Client secret of the gateway at the identity provider (omit for a public client).'),
  PORTCULLIS_SSO_LABEL: z
    .string()
    .min(1)
    .default('single sign-on')
    .describe('Name of the identity provider on the sign-in page ("Sign in with …").'),
  PORTCULLIS_SSO_EMAIL_DOMAINS: csv
    .default([])
    .describe(
      'Email domains whose identity-provider users get a gateway account on first sign-in (comma-separated). Others must already exist as users.',
    ),
  PORTCULLIS_SSO_GROUP_ROLES: csv
    .default([])
    .describe(
      'Maps identity-provider groups (the `groups` claim) to workspace roles, as `group:workspace:role` entries (comma-separated); applied at every single sign-on.',
    ),
  PORTCULLIS_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024)
    .describe('Maximum request body size in bytes.'),
  PORTCULLIS_UPSTREAM_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(60_000)
    .describe('Default upstream request timeout, per server overridable.'),
  PORTCULLIS_CLIENT_REQUEST_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(60_000)
    .describe(
      'How long a server→client request (elicitation, sampling, roots) waits for the client before the upstream gets an error.',
    ),
  PORTCULLIS_SESSION_TTL_S: z.coerce
    .number()
    .int()
    .min(60)
    .default(24 * 3600)
    .describe('Lifetime of a legacy Mcp-Session-Id.'),
  PORTCULLIS_STDIO_IDLE_TTL_S: z.coerce
    .number()
    .int()
    .min(1)
    .default(600)
    .describe(
      'How long a stdio server process may sit unused (no call in flight, no listener) before it is stopped; the next call starts it again.',
    ),
  PORTCULLIS_STDIO_MAX_PROCESSES: z.coerce
    .number()
    .int()
    .min(1)
    .default(64)
    .describe(
      'Most stdio server processes this instance runs at once; a call that would start one more fails with upstream_unavailable.',
    ),
  PORTCULLIS_SHUTDOWN_GRACE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(10_000)
    .describe('How long shutdown waits for in-flight requests.'),
  PORTCULLIS_RECORDS: boolean.default(true).describe('Write a request record per MCP message.'),
  PORTCULLIS_RECORD_SPOOL: boolean
    .default(false)
    .describe(
      'Append each request record to a spool file in the data directory until it is stored, so a crash (SIGKILL, OOM kill) loses no record; the next start on that directory inserts what is left. About 5 µs CPU per request (one write system call), hence off by default. No fsync: power loss is not covered.',
    ),
  PORTCULLIS_RECORD_QUEUE_SIZE: z.coerce
    .number()
    .int()
    .min(100)
    .default(50_000)
    .describe(
      'Bound of the request record queue; overflow is dropped with a counter and a warning.',
    ),
  PORTCULLIS_RECORD_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30)
    .describe(
      'Request records older than this many days are deleted by a periodic cleanup; 0 keeps them forever.',
    ),
  PORTCULLIS_RECORD_CAPTURE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(256)
    .max(1_048_576)
    .default(16_384)
    .describe(
      'Largest captured arguments or result kept in a record (capture mode full); longer ones are truncated.',
    ),
  PORTCULLIS_REDACT_KEYS: csv
    .optional()
    .describe(
      'Comma-separated key patterns whose values are masked in captured bodies, replacing the defaults (password, secret, token, apikey, authorization, cookie, credential, privatekey, accesskey, sessionid, signature, …); case, `_` and `-` are ignored.',
    ),
  PORTCULLIS_METRICS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe(
      'Bearer token required to scrape /metrics (`Authorization: Bearer <token>`). Unset: /metrics is open to anyone who reaches the listener.',
    ),
  PORTCULLIS_OTLP_ENDPOINT: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      'Base URL of an OpenTelemetry collector (OTLP/HTTP, JSON encoding); spans are posted to <endpoint>/v1/traces. Unset: tracing is off and costs nothing.',
    ),
  PORTCULLIS_OTLP_HEADERS: z
    .string()
    .optional()
    .transform((value, context) => {
      const headers: Record<string, string> = {};
      for (const entry of (value ?? '').split(',')) {
        if (entry.trim() === '') continue;
        const at = entry.indexOf('=');
        const name = entry.slice(0, Math.max(at, 0)).trim().toLowerCase();
        let decoded: string | undefined;
        try {
          decoded = decodeURIComponent(entry.slice(at + 1).trim());
        } catch {
          decoded = undefined;
        }
        if (at <= 0 || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name) || decoded === undefined) {
          context.addIssue({
            code: 'custom',
            message: 'must be comma-separated name=value pairs (values URL-encoded)',
          });
          return z.NEVER;
        }
        headers[name] = decoded;
      }
      return headers;
    })
    .describe(
      'Headers sent with every OTLP export, as comma-separated name=value pairs with URL-encoded values (the OTEL_EXPORTER_OTLP_HEADERS format), e.g. an API key of a hosted collector.',
    ),
});

export type RuntimeConfigInput = z.input<typeof runtimeConfigSchema>;

export interface RuntimeConfig {
  readonly host: string;
  readonly port: number;
  /** No trailing slash, byte-exact; never derived from URL.href. */
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly databasePoolSize: number;
  readonly databaseStatementTimeoutMs: number;
  readonly redisUrl: string | undefined;
  readonly secretKey: string | undefined;
  readonly previousSecretKeys: readonly string[];
  readonly configFile: string | undefined;
  readonly logLevel: z.infer<typeof runtimeConfigSchema>['PORTCULLIS_LOG_LEVEL'];
  readonly allowedOrigins: readonly string[];
  readonly upstreamAllowPrivate: readonly string[];
  readonly oauthFetchAllowPrivate: readonly string[];
  readonly trustProxy: boolean;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly browserSessionTtlSeconds: number;
  /** Single sign-on against an external OpenID Connect provider; undefined when not configured. */
  readonly sso: SsoConfig | undefined;
  readonly bodyLimit: number;
  readonly upstreamTimeoutMs: number;
  readonly clientRequestTimeoutMs: number;
  readonly sessionTtlSeconds: number;
  readonly stdioIdleTtlSeconds: number;
  readonly stdioMaxProcesses: number;
  readonly shutdownGraceMs: number;
  readonly records: boolean;
  readonly recordQueueSize: number;
  /** Spool records to the data directory until they are stored (crash safety). */
  readonly recordSpool: boolean;
  /** Days records are kept; 0 keeps them forever. */
  readonly recordRetentionDays: number;
  readonly recordCaptureMaxBytes: number;
  /** Secret-key patterns for redaction; undefined means the built-in list. */
  readonly redactKeys: readonly string[] | undefined;
  /** Bearer token for /metrics; undefined leaves it open. */
  readonly metricsToken: string | undefined;
  /** OTLP/HTTP collector base URL; undefined turns tracing off. */
  readonly otlpEndpoint: string | undefined;
  readonly otlpHeaders: Readonly<Record<string, string>>;
}

export interface SsoConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly label: string;
  readonly emailDomains: readonly string[];
  readonly groupRoles: readonly {
    readonly group: string;
    readonly workspaceId: string;
    readonly role: 'owner' | 'admin' | 'member' | 'viewer';
  }[];
}

const ROLES = new Set(['owner', 'admin', 'member', 'viewer']);

function parseSso(c: z.infer<typeof runtimeConfigSchema>): SsoConfig | undefined {
  if (c.PORTCULLIS_SSO_ISSUER === undefined && c.PORTCULLIS_SSO_CLIENT_ID === undefined)
    return undefined;
  const issues: string[] = [];
  if (c.PORTCULLIS_SSO_ISSUER === undefined)
    issues.push('PORTCULLIS_SSO_ISSUER: is required when PORTCULLIS_SSO_CLIENT_ID is set');
  if (c.PORTCULLIS_SSO_CLIENT_ID === undefined)
    issues.push('PORTCULLIS_SSO_CLIENT_ID: is required when PORTCULLIS_SSO_ISSUER is set');
  const groupRoles = c.PORTCULLIS_SSO_GROUP_ROLES.map((entry) => {
    const [group, workspaceId, role, ...rest] = entry.split(':');
    if (
      group === undefined ||
      group === '' ||
      workspaceId === undefined ||
      workspaceId === '' ||
      role === undefined ||
      !ROLES.has(role) ||
      rest.length > 0
    ) {
      issues.push(
        `PORTCULLIS_SSO_GROUP_ROLES: "${entry}" must be group:workspace:role with role owner, admin, member or viewer`,
      );
      return undefined;
    }
    return { group, workspaceId, role: role as 'owner' | 'admin' | 'member' | 'viewer' };
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze({
    // Kept byte-exact: some providers' issuers end with a slash, and discovery compares them exactly.
    issuer: c.PORTCULLIS_SSO_ISSUER!,
    clientId: c.PORTCULLIS_SSO_CLIENT_ID!,
    clientSecret: c.PORTCULLIS_SSO_CLIENT_SECRET,
    label: c.PORTCULLIS_SSO_LABEL,
    emailDomains: Object.freeze(c.PORTCULLIS_SSO_EMAIL_DOMAINS.map((d) => d.toLowerCase())),
    groupRoles: Object.freeze(groupRoles.filter((entry) => entry !== undefined)),
  });
}

export class ConfigError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Formats zod issues as `path: message` lines, the way validate-config prints them. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `${where}: ${issue.message}`;
  });
}

function trimTrailingSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * Parses settings from an environment-shaped record (process.env, or a test's
 * object). Flags given on the command line are merged over it by the CLI.
 */
export function parseRuntimeConfig(
  env: Readonly<Record<string, string | undefined>>,
): RuntimeConfig {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(runtimeConfigSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const parsed = runtimeConfigSchema.safeParse(picked);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error));
  const c = parsed.data;
  const host = c.PORTCULLIS_HOST;
  const hostForUrl = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const publicUrl = trimTrailingSlashes(
    c.PORTCULLIS_PUBLIC_URL ?? `http://${hostForUrl}:${c.PORTCULLIS_PORT}`,
  );
  return Object.freeze({
    host,
    port: c.PORTCULLIS_PORT,
    publicUrl,
    dataDir: path.resolve(c.PORTCULLIS_DATA_DIR),
    databaseUrl: c.PORTCULLIS_DATABASE_URL,
    databasePoolSize: c.PORTCULLIS_DATABASE_POOL_SIZE,
    databaseStatementTimeoutMs: c.PORTCULLIS_DATABASE_STATEMENT_TIMEOUT_MS,
    redisUrl: c.PORTCULLIS_REDIS_URL,
    secretKey: c.PORTCULLIS_SECRET_KEY,
    previousSecretKeys: Object.freeze([...c.PORTCULLIS_PREVIOUS_SECRET_KEYS]),
    configFile: c.PORTCULLIS_CONFIG,
    logLevel: c.PORTCULLIS_LOG_LEVEL,
    allowedOrigins: Object.freeze([...c.PORTCULLIS_ALLOWED_ORIGINS]),
    upstreamAllowPrivate: Object.freeze([...c.PORTCULLIS_UPSTREAM_ALLOW_PRIVATE]),
    oauthFetchAllowPrivate: Object.freeze([...c.PORTCULLIS_OAUTH_FETCH_ALLOW_PRIVATE]),
    trustProxy: c.PORTCULLIS_TRUST_PROXY,
    accessTokenTtlSeconds: c.PORTCULLIS_ACCESS_TOKEN_TTL_S,
    refreshTokenTtlSeconds: c.PORTCULLIS_REFRESH_TOKEN_TTL_S,
    browserSessionTtlSeconds: c.PORTCULLIS_BROWSER_SESSION_TTL_S,
    sso: parseSso(c),
    bodyLimit: c.PORTCULLIS_BODY_LIMIT,
    upstreamTimeoutMs: c.PORTCULLIS_UPSTREAM_TIMEOUT_MS,
    clientRequestTimeoutMs: c.PORTCULLIS_CLIENT_REQUEST_TIMEOUT_MS,
    sessionTtlSeconds: c.PORTCULLIS_SESSION_TTL_S,
    stdioIdleTtlSeconds: c.PORTCULLIS_STDIO_IDLE_TTL_S,
    stdioMaxProcesses: c.PORTCULLIS_STDIO_MAX_PROCESSES,
    shutdownGraceMs: c.PORTCULLIS_SHUTDOWN_GRACE_MS,
    records: c.PORTCULLIS_RECORDS,
    recordQueueSize: c.PORTCULLIS_RECORD_QUEUE_SIZE,
    recordSpool: c.PORTCULLIS_RECORD_SPOOL,
    recordRetentionDays: c.PORTCULLIS_RECORD_RETENTION_DAYS,
    recordCaptureMaxBytes: c.PORTCULLIS_RECORD_CAPTURE_MAX_BYTES,
    redactKeys: c.PORTCULLIS_REDACT_KEYS,
    metricsToken: c.PORTCULLIS_METRICS_TOKEN,
    otlpEndpoint: c.PORTCULLIS_OTLP_ENDPOINT,
    otlpHeaders: Object.freeze({ ...c.PORTCULLIS_OTLP_HEADERS }),
  });
}

/** Reads the process environment. The only process.env read for settings. */
export function runtimeConfigFromProcess(
  overrides: Readonly<Record<string, string | undefined>> = {},
): RuntimeConfig {
  return parseRuntimeConfig({ ...process.env, ...overrides });
}

/** The process environment, for code outside src/config that passes it on (the CLI). */
export function processEnvironment(): Readonly<Record<string, string | undefined>> {
  return process.env;
}
