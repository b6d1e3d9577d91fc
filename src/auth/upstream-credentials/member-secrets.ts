/**
 * Members' own secrets of stdio servers: a server's `memberEnv` names, per
 * environment variable, a member secret; each member stores their own value
 * (sealed by the vault, purpose `member-secret`) and the server runs one
 * process per member with those values (src/upstream/upstream-registry.ts).
 */
import { GatewayError } from '../../shared/errors.ts';
import type { MemberEnvEntry, ServerDefinition } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';
import type { Vault } from './vault.ts';

export const MEMBER_SECRET_PURPOSE = 'member-secret';

/** The admin API path where a member sets their values of a server's secrets. */
export function memberSecretsPath(server: Pick<ServerDefinition, 'workspaceId' | 'id'>): string {
  return `/api/v1/workspaces/${server.workspaceId}/servers/${server.id}/member-secrets`;
}

/** The secret names a server asks members for, with their descriptions. */
export function declaredMemberSecrets(server: ServerDefinition): Map<string, string | null> {
  const declared = new Map<string, string | null>();
  for (const entry of Object.values(server.memberEnv ?? {}))
    if (!declared.has(entry.secret) || declared.get(entry.secret) === null)
      declared.set(entry.secret, entry.description);
  return declared;
}

/**
 * Opens one member's values as the environment variables of `server` they
 * set. A missing value is refused with the secret's name and where to set it;
 * values are never part of an error.
 */
export function createMemberEnvReader(store: Store, vault: Vault) {
  return async (server: ServerDefinition, userId: string): Promise<Record<string, string>> => {
    const stored = await store.memberSecrets.list({
      workspaceId: server.workspaceId,
      serverId: server.id,
      userId,
    });
    const sealed = new Map(stored.map((secret) => [secret.name, secret.sealedValue]));
    const env: Record<string, string> = {};
    const missing: string[] = [];
    for (const [variable, entry] of Object.entries(server.memberEnv ?? {})) {
      const value = sealed.get(entry.secret);
      if (value === undefined) {
        if (!missing.includes(entry.secret)) missing.push(entry.secret);
        continue;
      }
      try {
        env[variable] = vault.open(MEMBER_SECRET_PURPOSE, value);
      } catch (error) {
        throw new GatewayError(
          'secret_unreadable',
          `Your secret ${entry.secret} of server ${server.workspaceId}/${server.id} cannot be decrypted with the configured secret keys; set it again.`,
          { cause: error },
        );
      }
    }
    if (missing.length > 0)
      throw new GatewayError(
        'upstream_member_secret_required',
        `The server ${server.workspaceId}/${server.id} runs with each member's own ${missing.length === 1 ? 'secret' : 'secrets'} ${missing.join(', ')}, which you have not set: PUT ${memberSecretsPath(server)} with {${missing.map((name) => ` "${name}": "…"`).join(',')} }.`,
        { data: { missingSecrets: missing, path: memberSecretsPath(server) } },
      );
    return env;
  };
}

/** The `member_secret` entries of a config-file (or admin API) `env`, as stored. */
export function memberEnvOf(
  env: Readonly<Record<string, string | object>>,
): Record<string, MemberEnvEntry> | undefined {
  const memberEnv: Record<string, MemberEnvEntry> = {};
  for (const [variable, entry] of Object.entries(env))
    if (typeof entry === 'object' && 'member_secret' in entry) {
      const declared = entry as { member_secret: string; description?: string };
      memberEnv[variable] = {
        secret: declared.member_secret,
        description: declared.description ?? null,
      };
    }
  return Object.keys(memberEnv).length === 0 ? undefined : memberEnv;
}
