/**
 * Applies a declarative config to the store: idempotent, in one transaction,
 * all or nothing.
 *
 * The file is the source of truth for what it declares:
 * - users are created or updated, never removed (people also join through
 *   the dashboard); `password_env` is an initial password, set when the user
 *   has none and never overwritten; `admin`, when given, sets the instance
 *   administrator flag (absent keeps it, so an administrator promoted in the
 *   dashboard is not demoted by a file that does not mention it);
 * - each declared workspace's members, servers and api keys are exactly the
 *   file's: others are removed (api keys are revoked, not deleted); a
 *   member without `servers` reaches every server;
 * - workspaces the file does not declare are left alone.
 *
 * Stdio server environments are stored sealed by the vault, every value
 * (src/auth/upstream-credentials/server-env.ts); an unchanged server keeps
 * its stored ciphertexts, so its process is not restarted.
 */
import { DEFAULT_CAPTURE } from '../telemetry/capture-settings.ts';
import { memberEnvOf } from '../auth/upstream-credentials/member-secrets.ts';
import { sealServerEnv, tryOpenServerEnv } from '../auth/upstream-credentials/server-env.ts';
import type { Vault } from '../auth/upstream-credentials/vault.ts';
import { createAuditLog } from '../audit/audit-log.ts';
import { apiKeyPrefix, hashApiKey } from '../shared/api-key-hash.ts';
import { hashPassword as defaultHashPassword } from '../shared/password-hash.ts';
import type { ServerDefinition, User } from '../store/model.ts';
import type { Store } from '../store/store.ts';
import { createDeclaredUpstreamAuth } from '../auth/upstream-credentials/upstream-auth-secrets.ts';
import { emptyApplySummary } from './apply-summary.ts';
import type { ApplySummary } from './apply-summary.ts';
import { applyPoliciesAndLimits } from './apply-policies.ts';
import { ConfigFileError } from './config-issue.ts';
import type { ConfigIssue } from './config-issue.ts';
import type { DeclarativeConfig, DeclarativeServer } from './declarative-schema.ts';
import { resolveConfigSecrets, serverEnvKey } from './resolve-config-secrets.ts';
import type { ConfigSecrets, Environment } from './resolve-config-secrets.ts';

export interface ApplyOptions {
  /** Upstream timeout for servers without `timeout_ms` (PORTCULLIS_UPSTREAM_TIMEOUT_MS). */
  defaultTimeoutMs?: number;
  /** Named in error messages; the config file path. */
  source?: string;
  hashPassword?: (password: string) => Promise<string>;
  now?: () => Date;
  /** Seals stdio server environment values and upstream header values. */
  vault: Vault;
}

interface Context {
  tx: Store;
  config: DeclarativeConfig;
  secrets: ConfigSecrets;
  summary: ApplySummary;
  options: Required<ApplyOptions>;
  upstreamAuth: ReturnType<typeof createDeclaredUpstreamAuth>;
  /** Lower-cased email → user id. */
  userIds: Map<string, string>;
}

/** Canonical JSON (sorted keys) so equal values compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
}

async function applyUsers(ctx: Context): Promise<void> {
  for (const [index, declared] of ctx.config.users.entries()) {
    const existing: User | undefined = await ctx.tx.users.findByEmail(declared.email);
    const password = ctx.secrets.passwords.get(index);
    const setPassword = password !== undefined && (existing?.passwordHash ?? null) === null;
    const passwordHash = setPassword ? await ctx.options.hashPassword(password) : undefined;
    if (existing === undefined) {
      const user = await ctx.tx.users.upsert({
        email: declared.email,
        name: declared.name ?? null,
        passwordHash: passwordHash ?? null,
        isAdmin: declared.admin ?? false,
      });
      ctx.userIds.set(user.email.toLowerCase(), user.id);
      ctx.summary.users.created++;
      continue;
    }
    ctx.userIds.set(existing.email.toLowerCase(), existing.id);
    const rename = declared.name !== undefined && declared.name !== existing.name;
    const promote = declared.admin !== undefined && declared.admin !== existing.isAdmin;
    if (rename || setPassword || promote || declared.email !== existing.email) {
      await ctx.tx.users.upsert({
        email: declared.email,
        name: declared.name,
        passwordHash,
        isAdmin: declared.admin,
      });
      ctx.summary.users.updated++;
    }
  }
}

function userId(ctx: Context, email: string): string {
  const id = ctx.userIds.get(email.toLowerCase());
  // The schema guarantees members and keys name declared users.
  if (id === undefined) throw new Error(`no user ${email} after applying users`);
  return id;
}

async function applyWorkspaceMembers(ctx: Context, workspaceIndex: number): Promise<void> {
  const workspace = ctx.config.workspaces[workspaceIndex]!;
  const existing = new Map((await ctx.tx.members.list(workspace.id)).map((m) => [m.userId, m]));
  const declared = new Set<string>();
  for (const member of workspace.members) {
    const id = userId(ctx, member.email);
    declared.add(id);
    const current = existing.get(id);
    const serverIds = member.servers ?? null;
    if (current?.role === member.role && canonical(current.serverIds) === canonical(serverIds))
      continue;
    await ctx.tx.members.upsert({
      workspaceId: workspace.id,
      userId: id,
      role: member.role,
      serverIds,
    });
    ctx.summary.members[current === undefined ? 'created' : 'updated']++;
  }
  for (const id of existing.keys()) {
    if (declared.has(id)) continue;
    await ctx.tx.members.remove(workspace.id, id);
    ctx.summary.members.removed++;
  }
}

function serverInput(
  ctx: Context,
  workspaceIndex: number,
  serverIndex: number,
  server: DeclarativeServer,
  current: ServerDefinition | undefined,
) {
  return {
    workspaceId: ctx.config.workspaces[workspaceIndex]!.id,
    id: server.id,
    name: server.name ?? server.id,
    transport: server.transport,
    url: server.url ?? null,
    command: server.command ?? null,
    args: server.args,
    cwd: server.cwd ?? null,
    env: ctx.secrets.serverEnv.get(serverEnvKey(workspaceIndex, serverIndex)) ?? {},
    timeoutMs: server.timeout_ms ?? ctx.options.defaultTimeoutMs,
    upstreamAuth: ctx.upstreamAuth(workspaceIndex, serverIndex, current?.upstreamAuth),
    memberEnv: memberEnvOf(server.env),
    capture: server.capture ?? DEFAULT_CAPTURE,
  };
}

type ComparableServer = Pick<
  ServerDefinition,
  | 'name'
  | 'transport'
  | 'url'
  | 'command'
  | 'args'
  | 'cwd'
  | 'env'
  | 'timeoutMs'
  | 'upstreamAuth'
  | 'memberEnv'
  | 'capture'
>;
const serverShape = (s: ComparableServer) =>
  canonical([
    s.name,
    s.transport,
    s.url,
    s.command,
    s.args,
    s.cwd,
    s.env,
    s.timeoutMs,
    s.upstreamAuth,
    s.memberEnv ?? null,
    s.capture ?? DEFAULT_CAPTURE,
  ]);

async function applyWorkspaceServers(ctx: Context, workspaceIndex: number): Promise<void> {
  const workspace = ctx.config.workspaces[workspaceIndex]!;
  const existing = new Map((await ctx.tx.servers.list(workspace.id)).map((s) => [s.id, s]));
  for (const [serverIndex, server] of workspace.servers.entries()) {
    const current = existing.get(server.id);
    const input = serverInput(ctx, workspaceIndex, serverIndex, server, current);
    existing.delete(server.id);
    if (current !== undefined) {
      const currentEnv = tryOpenServerEnv(ctx.options.vault, current.env);
      if (
        currentEnv !== undefined &&
        serverShape({ ...current, env: currentEnv }) === serverShape(input)
      )
        continue;
    }
    await ctx.tx.servers.upsert({ ...input, env: sealServerEnv(ctx.options.vault, input.env) });
    ctx.summary.servers[current === undefined ? 'created' : 'updated']++;
  }
  for (const stale of existing.values()) {
    await ctx.tx.servers.remove(workspace.id, stale.id);
    ctx.summary.servers.removed++;
  }
}

async function applyApiKeys(ctx: Context, issues: ConfigIssue[]): Promise<void> {
  const declaredWorkspaces = new Set(ctx.config.workspaces.map((ws) => ws.id));
  const existing = new Map(
    (await ctx.tx.apiKeys.list())
      .filter((key) => declaredWorkspaces.has(key.workspaceId))
      .map((key) => [`${key.workspaceId}\u0000${key.name}`, key]),
  );
  for (const [index, declared] of ctx.config.api_keys.entries()) {
    const keyHash = hashApiKey(ctx.secrets.apiKeys.get(index)!);
    const mapKey = `${declared.workspace}\u0000${declared.name}`;
    const current = existing.get(mapKey);
    existing.delete(mapKey);
    const holder = await ctx.tx.apiKeys.findByHash(keyHash);
    if (holder !== undefined && holder.id !== current?.id) {
      issues.push({
        path: `api_keys.${index}.key_env`,
        message: `the key in ${declared.key_env} is already used by api key "${holder.name}" of workspace "${holder.workspaceId}"`,
      });
      continue;
    }
    const input = {
      name: declared.name,
      workspaceId: declared.workspace,
      userId: userId(ctx, declared.user),
      keyHash,
      prefix: apiKeyPrefix(ctx.secrets.apiKeys.get(index)!),
      serverIds: declared.servers ?? null,
      expiresAt: declared.expires_at === undefined ? null : new Date(declared.expires_at),
    };
    if (current === undefined) {
      await ctx.tx.apiKeys.upsert(input);
      ctx.summary.apiKeys.created++;
      continue;
    }
    const rotated = current.keyHash !== keyHash;
    const same =
      !rotated &&
      current.userId === input.userId &&
      canonical(current.serverIds) === canonical(input.serverIds) &&
      (current.expiresAt?.getTime() ?? null) === (input.expiresAt?.getTime() ?? null);
    if (!same) {
      // A new key value is a new secret: it starts unrevoked. The same value stays revoked.
      await ctx.tx.apiKeys.upsert(rotated ? { ...input, revokedAt: null } : input);
      ctx.summary.apiKeys.updated++;
    }
    if (!rotated && current.revokedAt !== null)
      ctx.summary.warnings.push(
        `api_keys.${index}: api key "${declared.name}" of workspace "${declared.workspace}" is revoked; put a new key in ${declared.key_env} to issue a replacement`,
      );
  }
  for (const stale of existing.values()) {
    if (stale.revokedAt !== null) continue;
    await ctx.tx.apiKeys.revoke(stale.id, ctx.options.now());
    ctx.summary.apiKeys.removed++;
  }
}

export async function applyConfig(
  store: Store,
  config: DeclarativeConfig,
  env: Environment,
  options: ApplyOptions,
): Promise<ApplySummary> {
  const resolved: Required<ApplyOptions> = {
    vault: options.vault,
    defaultTimeoutMs: options.defaultTimeoutMs ?? 60_000,
    source: options.source ?? '(unnamed config)',
    hashPassword: options.hashPassword ?? ((password) => defaultHashPassword(password)),
    now: options.now ?? (() => new Date()),
  };
  const secrets = resolveConfigSecrets(config, env, resolved.source);
  const upstreamAuth = createDeclaredUpstreamAuth(config, env, options.vault, resolved.source);
  // Every change the file makes is recorded, the file as actor (src/audit).
  const audit = createAuditLog({ store, now: resolved.now });
  const byFile = {
    actor: { kind: 'config', id: resolved.source, email: null },
    source: 'config',
  } as const;
  return store.transaction(async (unwatched) => {
    const tx = audit.watch(unwatched, byFile);
    const ctx: Context = {
      tx,
      config,
      secrets,
      summary: emptyApplySummary(),
      options: resolved,
      userIds: new Map(),
      upstreamAuth,
    };
    await applyUsers(ctx);
    for (const workspace of config.workspaces) {
      const current = await tx.workspaces.find(workspace.id);
      if (current?.name === workspace.name) continue;
      await tx.workspaces.upsert({ id: workspace.id, name: workspace.name });
      ctx.summary.workspaces[current === undefined ? 'created' : 'updated']++;
    }
    for (const index of config.workspaces.keys()) {
      await applyWorkspaceMembers(ctx, index);
      await applyWorkspaceServers(ctx, index);
    }
    const issues = await applyPoliciesAndLimits(tx, config, ctx.summary);
    await applyApiKeys(ctx, issues);
    // Thrown inside the transaction: nothing of this run is kept.
    if (issues.length > 0) throw new ConfigFileError(resolved.source, issues);
    return ctx.summary;
  });
}
