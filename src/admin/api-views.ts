/**
 * What the admin API shows of each record, as zod schemas (documented in the
 * OpenAPI document) and the functions that build them. Hashes, passwords and
 * server environments never appear here.
 */
import { CAPTURE_MODES, DEFAULT_CAPTURE } from '../telemetry/capture-settings.ts';
import { z } from 'zod';
import type {
  ApiKey,
  Invitation,
  Member,
  ServerDefinition,
  User,
  Workspace,
} from '../store/model.ts';
import { ROLES } from './roles.ts';

const timestamp = z.iso.datetime();
export const roleSchema = z.enum(ROLES);
/** `null` means every server of the workspace. */
export const serverAccessSchema = z
  .array(z.string())
  .nullable()
  .describe('Server ids; null means every server of the workspace.');

export const userView = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  isAdmin: z.boolean(),
  createdAt: timestamp,
});
export const workspaceView = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: timestamp,
  role: roleSchema.nullable().describe("The caller's role; null for instance administrators."),
});
export const memberView = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  role: roleSchema,
  servers: serverAccessSchema,
});
export const membershipView = z.object({
  workspaceId: z.string(),
  workspaceName: z.string(),
  role: roleSchema,
  servers: serverAccessSchema,
});
export const serverView = z.object({
  id: z.string(),
  name: z.string(),
  transport: z.enum(['http', 'sse', 'stdio']),
  endpoint: z.string().describe('The MCP endpoint clients connect to.'),
});
/** Fields named as in a server entry of the config file, which is also the write body. */
export const serverDetailView = serverView.extend({
  url: z.string().nullable().describe('Upstream endpoint of an http or sse server.'),
  command: z.string().nullable().describe('Program a stdio server runs on the gateway host.'),
  args: z.array(z.string()),
  cwd: z.string().nullable(),
  env_names: z
    .array(z.string())
    .describe(
      "Names of a stdio server's environment variables. Values are never shown: a config file's `value_env` references are stored resolved.",
    ),
  member_env: z
    .record(z.string(), z.object({ member_secret: z.string(), description: z.string().nullable() }))
    .optional()
    .describe(
      "A stdio server's variables whose value is each member's own secret (one process per member); absent when none.",
    ),
  timeout_ms: z.number().int(),
  capture: z.object({ mode: z.enum(CAPTURE_MODES), masks: z.array(z.string()) }),
  upstream_auth: z
    .object({
      mode: z.enum(['none', 'headers', 'oauth']),
      header_names: z.array(z.string()),
      forward_identity: z.boolean(),
      oauth: z
        .object({
          grant: z.enum(['per_user', 'shared', 'client_credentials']),
          client_id: z.string().nullable(),
          has_client_secret: z.boolean(),
          scopes: z.array(z.string()),
          omit_resource: z.boolean(),
          authorize_params: z.record(z.string(), z.string()),
        })
        .optional(),
    })
    .describe(
      'How the gateway authenticates to the upstream. Header values are never shown: they are stored sealed.',
    ),
});
export const invitationView = z.object({
  id: z.string(),
  email: z.string(),
  role: roleSchema,
  servers: serverAccessSchema,
  invitedBy: z.string().nullable(),
  createdAt: timestamp,
  expiresAt: timestamp,
  acceptedAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
});
export const apiKeyView = z.object({
  id: z.string(),
  name: z.string(),
  userId: z.string(),
  prefix: z.string(),
  servers: serverAccessSchema,
  createdAt: timestamp,
  expiresAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
});
export const errorView = z.object({ error: z.string(), message: z.string() });

const iso = (date: Date): string => date.toISOString();
const isoOrNull = (date: Date | null): string | null => (date === null ? null : iso(date));

export function showUser(user: User): z.infer<typeof userView> {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    isAdmin: user.isAdmin,
    createdAt: iso(user.createdAt),
  };
}

export function showWorkspace(
  workspace: Workspace,
  role: Member['role'] | null,
): z.infer<typeof workspaceView> {
  return { id: workspace.id, name: workspace.name, createdAt: iso(workspace.createdAt), role };
}

export function showMember(member: Member, user: User | undefined): z.infer<typeof memberView> {
  return {
    userId: member.userId,
    email: user?.email ?? '',
    name: user?.name ?? null,
    role: member.role,
    servers: member.serverIds === null ? null : [...member.serverIds],
  };
}

export function showServer(
  server: ServerDefinition,
  publicUrl: string,
): z.infer<typeof serverView> {
  return {
    id: server.id,
    name: server.name,
    transport: server.transport,
    endpoint: `${publicUrl}/${server.workspaceId}/${server.id}/mcp`,
  };
}

export function showServerDetail(
  server: ServerDefinition,
  publicUrl: string,
): z.infer<typeof serverDetailView> {
  return {
    ...showServer(server, publicUrl),
    url: server.url,
    command: server.command,
    args: [...server.args],
    cwd: server.cwd,
    env_names: Object.keys(server.env).sort(),
    ...(server.memberEnv === undefined
      ? {}
      : {
          member_env: Object.fromEntries(
            Object.entries(server.memberEnv).map(([name, entry]) => [
              name,
              { member_secret: entry.secret, description: entry.description },
            ]),
          ),
        }),
    timeout_ms: server.timeoutMs,
    capture: {
      mode: (server.capture ?? DEFAULT_CAPTURE).mode,
      masks: [...(server.capture ?? DEFAULT_CAPTURE).masks],
    },
    upstream_auth: {
      mode: server.upstreamAuth.mode,
      header_names:
        server.upstreamAuth.mode === 'headers'
          ? Object.keys(server.upstreamAuth.headers).sort()
          : [],
      forward_identity: server.upstreamAuth.forwardIdentity,
      ...(server.upstreamAuth.mode === 'oauth'
        ? {
            oauth: {
              grant: server.upstreamAuth.oauth.grant,
              client_id: server.upstreamAuth.oauth.clientId,
              has_client_secret: server.upstreamAuth.oauth.clientSecret !== null,
              scopes: [...server.upstreamAuth.oauth.scopes],
              omit_resource: server.upstreamAuth.oauth.omitResource,
              authorize_params: { ...server.upstreamAuth.oauth.authorizeParams },
            },
          }
        : {}),
    },
  };
}

export function showInvitation(invitation: Invitation): z.infer<typeof invitationView> {
  return {
    id: invitation.id,
    email: invitation.email,
    role: invitation.role,
    servers: invitation.serverIds === null ? null : [...invitation.serverIds],
    invitedBy: invitation.invitedBy,
    createdAt: iso(invitation.createdAt),
    expiresAt: iso(invitation.expiresAt),
    acceptedAt: isoOrNull(invitation.acceptedAt),
    revokedAt: isoOrNull(invitation.revokedAt),
  };
}

export function showApiKey(key: ApiKey): z.infer<typeof apiKeyView> {
  return {
    id: key.id,
    name: key.name,
    userId: key.userId,
    prefix: key.prefix,
    servers: key.serverIds === null ? null : [...key.serverIds],
    createdAt: iso(key.createdAt),
    expiresAt: isoOrNull(key.expiresAt),
    revokedAt: isoOrNull(key.revokedAt),
  };
}
