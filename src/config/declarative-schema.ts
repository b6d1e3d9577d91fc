/**
 * The declarative config file (YAML), `PORTCULLIS_CONFIG` or `portcullis apply -f`.
 * Secrets appear only by reference (`*_env`), never inline.
 */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { captureSettingsSchema } from '../telemetry/capture-settings.ts';
import { configUpstreamAuthSchema } from '../auth/upstream-credentials/upstream-auth-schema.ts';
import { workspaceLimitsSchema } from '../policy/usage-limits-schema.ts';
import { serverPolicySchema } from '../policy/server-policy-schema.ts';

const slug = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'must be 1–63 lowercase letters, digits, "-" or "_", starting with a letter or digit',
  );

export const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

export const roleSchema = z.enum(['owner', 'admin', 'member', 'viewer']);

export const userSchema = z.strictObject({
  email: z.email(),
  name: z.string().min(1).optional(),
  password_env: envName.optional().describe('Environment variable holding the initial password.'),
  admin: z
    .boolean()
    .optional()
    .describe(
      'Instance administrator (creates workspaces, manages users). Absent keeps the stored value; new users are not.',
    ),
});

export const memberSchema = z.strictObject({
  email: z.email(),
  role: roleSchema,
  servers: z
    .array(slug)
    .optional()
    .describe('Servers of the workspace the member may reach; default every server.'),
});

/** The name members set their own value under (`PUT …/servers/:id/member-secrets`). */
export const memberSecretName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,63}$/,
    'must be 1–64 letters, digits or "_", starting with a letter or "_"',
  );

/**
 * Variables that decide what a process loads or runs (dynamic linker,
 * interpreter options and search paths, shell start-up files): a member who
 * sets one runs their own code on the gateway host, so none is a member secret.
 */
const LOADER_VARIABLE =
  /^(?:LD_\w+|DYLD_\w+|PATH|NODE_OPTIONS|NODE_PATH|PYTHON(?:PATH|HOME|STARTUP|INSPECT|USERBASE)|PERL5OPT|PERL5LIB|PERLLIB|RUBYOPT|RUBYLIB|BASH_ENV|ENV|ZDOTDIR|HOME|SHELL|IFS|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|CLASSPATH|GIT_SSH|GIT_SSH_COMMAND|GIT_EXEC_PATH|GIT_CONFIG_\w+)$/;

/**
 * A stdio env entry: a literal non-secret value, a reference to the gateway's
 * environment, or each member's own secret (the server then runs one process per member).
 */
export const envEntry = z.union([
  z.string(),
  z.strictObject({ value_env: envName }),
  z.strictObject({
    member_secret: memberSecretName.describe(
      'Each member sets their own value under this name; the server runs one process per member.',
    ),
    description: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .describe('What members should put there (shown to them).'),
  }),
]);

/**
 * A server entry, around how its `upstream_auth` header values are given:
 * by reference in the config file, as literal secrets through the admin API;
 * `env` entries as the config file gives them unless `envValue` says (the
 * admin API also keeps stored values).
 */
export function serverSchemaWith<
  A extends { mode: string; forward_identity: boolean },
  E extends string | object = z.output<typeof envEntry>,
>(upstreamAuth: z.ZodType<A>, envValue: z.ZodType<E> = envEntry as unknown as z.ZodType<E>) {
  return z
    .strictObject({
      id: slug,
      name: z.string().min(1).optional(),
      transport: z.enum(['http', 'sse', 'stdio']),
      url: z.url({ protocol: /^https?$/ }).optional(),
      command: z.string().min(1).optional(),
      args: z.array(z.string()).default([]),
      env: z.record(envName, envValue).default({}),
      cwd: z
        .string()
        .refine(isAbsolute, 'must be an absolute path')
        .optional()
        .describe("Working directory of a stdio server's process; the gateway's own when absent."),
      timeout_ms: z.number().int().min(100).max(3_600_000).optional(),
      upstream_auth: upstreamAuth
        .optional()
        .describe('How the gateway authenticates to an http or sse upstream; none by default.'),
      capture: captureSettingsSchema.optional(),
    })
    .superRefine((server, ctx) => {
      // The legacy SSE transport holds one long-lived connection: no per-call Authorization.
      if (server.transport === 'sse' && server.upstream_auth?.mode === 'oauth')
        ctx.addIssue({
          code: 'custom',
          path: ['upstream_auth', 'mode'],
          message: 'oauth needs transport http (streamable HTTP); sse cannot carry per-call tokens',
        });
      if (server.transport === 'stdio') {
        const auth = server.upstream_auth;
        if (auth !== undefined && (auth.mode !== 'none' || auth.forward_identity))
          ctx.addIssue({
            code: 'custom',
            path: ['upstream_auth'],
            message:
              'is not allowed for transport stdio: stdio servers get credentials through env',
          });
        if (server.command === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['command'],
            message: 'is required for transport stdio',
          });
        for (const [name, entry] of Object.entries(server.env))
          if (typeof entry === 'object' && 'member_secret' in entry && LOADER_VARIABLE.test(name))
            ctx.addIssue({
              code: 'custom',
              path: ['env', name],
              message:
                "cannot be a member_secret: it decides what the process loads or runs, so a member's value would run their own code on the gateway host",
            });
        if (server.url !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['url'],
            message: 'is not allowed for transport stdio',
          });
      } else {
        for (const [name, entry] of Object.entries(server.env))
          if (typeof entry === 'object' && 'member_secret' in entry)
            ctx.addIssue({
              code: 'custom',
              path: ['env', name],
              message: 'member_secret is only allowed for transport stdio',
            });
        if (server.url === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['url'],
            message: `is required for transport ${server.transport}`,
          });
        for (const field of ['command', 'cwd'] as const)
          if (server[field] !== undefined)
            ctx.addIssue({
              code: 'custom',
              path: [field],
              message: `is only allowed for transport stdio`,
            });
      }
    });
}

export const serverSchema = serverSchemaWith(configUpstreamAuthSchema).extend({
  policy: serverPolicySchema
    .optional()
    .describe(
      "The server's policy document (src/policy/server-policy-schema.ts); member overrides name members by email. Absent: the stored policy (API changes) is kept.",
    ),
});

export const workspaceSchema = z.strictObject({
  id: slug,
  name: z.string().min(1),
  members: z.array(memberSchema).default([]),
  servers: z.array(serverSchema).default([]),
  /** Usage limits of the workspace (src/policy/usage-limits-schema.ts); exactly these rules. */
  limits: workspaceLimitsSchema,
});

export const apiKeySchema = z.strictObject({
  name: z.string().min(1),
  user: z.email(),
  workspace: slug,
  key_env: envName.describe('Environment variable holding the key; only its hash is stored.'),
  servers: z
    .array(slug)
    .optional()
    .describe('Servers the key may reach; default every server of the workspace.'),
  expires_at: z.iso.datetime({ offset: true }).optional(),
});

export const declarativeConfigSchema = z
  .strictObject({
    users: z.array(userSchema).default([]),
    workspaces: z.array(workspaceSchema).default([]),
    api_keys: z.array(apiKeySchema).default([]),
  })
  .superRefine((config, ctx) => {
    const emails = new Set(config.users.map((user) => user.email.toLowerCase()));
    const workspaces = new Map(config.workspaces.map((ws) => [ws.id, ws]));
    config.users.forEach((user, ui) => {
      const email = user.email.toLowerCase();
      if (config.users.findIndex((other) => other.email.toLowerCase() === email) !== ui)
        ctx.addIssue({
          code: 'custom',
          path: ['users', ui, 'email'],
          message: `duplicate user email "${user.email}" (emails are case-insensitive)`,
        });
    });
    config.workspaces.forEach((ws, wi) => {
      if (config.workspaces.findIndex((other) => other.id === ws.id) !== wi)
        ctx.addIssue({
          code: 'custom',
          path: ['workspaces', wi, 'id'],
          message: `duplicate workspace id "${ws.id}"`,
        });
      ws.members.forEach((member, mi) => {
        if (!emails.has(member.email.toLowerCase()))
          ctx.addIssue({
            code: 'custom',
            path: ['workspaces', wi, 'members', mi, 'email'],
            message: `no user with email "${member.email}" in users`,
          });
        member.servers?.forEach((serverId, si) => {
          if (!ws.servers.some((server) => server.id === serverId))
            ctx.addIssue({
              code: 'custom',
              path: ['workspaces', wi, 'members', mi, 'servers', si],
              message: `no server "${serverId}" in workspace "${ws.id}"`,
            });
        });
      });
      ws.servers.forEach((server, si) => {
        if (ws.servers.findIndex((other) => other.id === server.id) !== si)
          ctx.addIssue({
            code: 'custom',
            path: ['workspaces', wi, 'servers', si, 'id'],
            message: `duplicate server id "${server.id}" in workspace "${ws.id}"`,
          });
      });
    });
    config.api_keys.forEach((key, ki) => {
      if (!emails.has(key.user.toLowerCase()))
        ctx.addIssue({
          code: 'custom',
          path: ['api_keys', ki, 'user'],
          message: `no user with email "${key.user}" in users`,
        });
      const ws = workspaces.get(key.workspace);
      if (ws === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['api_keys', ki, 'workspace'],
          message: `no workspace "${key.workspace}"`,
        });
        return;
      }
      if (!ws.members.some((member) => member.email.toLowerCase() === key.user.toLowerCase()))
        ctx.addIssue({
          code: 'custom',
          path: ['api_keys', ki, 'user'],
          message: `"${key.user}" is not a member of workspace "${key.workspace}"`,
        });
      key.servers?.forEach((serverId, si) => {
        if (!ws.servers.some((server) => server.id === serverId))
          ctx.addIssue({
            code: 'custom',
            path: ['api_keys', ki, 'servers', si],
            message: `no server "${serverId}" in workspace "${key.workspace}"`,
          });
      });
      if (
        config.api_keys.findIndex(
          (other) => other.workspace === key.workspace && other.name === key.name,
        ) !== ki
      )
        ctx.addIssue({
          code: 'custom',
          path: ['api_keys', ki, 'name'],
          message: `duplicate api key name "${key.name}" in workspace "${key.workspace}"`,
        });
    });
  });

export type DeclarativeConfig = z.infer<typeof declarativeConfigSchema>;
export type DeclarativeServer = z.infer<typeof serverSchema>;
