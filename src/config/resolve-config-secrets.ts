/**
 * Resolves the secret references of a declarative config (`password_env`,
 * `key_env`, `value_env`) against an environment. Every missing variable is
 * reported at once, naming the variable and the config path.
 */
import { MIN_API_KEY_LENGTH } from '../shared/api-key-hash.ts';
import type { ConfigIssue } from './config-issue.ts';
import { ConfigFileError } from './config-issue.ts';
import type { DeclarativeConfig } from './declarative-schema.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface ConfigSecrets {
  /** Password per `users` index, for users with `password_env`. */
  readonly passwords: ReadonlyMap<number, string>;
  /** Key per `api_keys` index. */
  readonly apiKeys: ReadonlyMap<number, string>;
  /** Resolved stdio environment per `workspaces` index, then `servers` index. */
  readonly serverEnv: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

export function serverEnvKey(workspaceIndex: number, serverIndex: number): string {
  return `${workspaceIndex}.${serverIndex}`;
}

export function resolveConfigSecrets(
  config: DeclarativeConfig,
  env: Environment,
  source = '(unnamed config)',
): ConfigSecrets {
  const issues: ConfigIssue[] = [];
  const read = (path: string, name: string): string | undefined => {
    const value = env[name];
    if (value === undefined || value === '') {
      issues.push({ path, message: `environment variable ${name} is not set` });
      return undefined;
    }
    return value;
  };

  const passwords = new Map<number, string>();
  config.users.forEach((user, index) => {
    if (user.password_env === undefined) return;
    const value = read(`users.${index}.password_env`, user.password_env);
    if (value !== undefined) passwords.set(index, value);
  });

  const apiKeys = new Map<number, string>();
  const firstUse = new Map<string, number>();
  config.api_keys.forEach((key, index) => {
    const path = `api_keys.${index}.key_env`;
    const value = read(path, key.key_env);
    if (value === undefined) return;
    if (value.length < MIN_API_KEY_LENGTH) {
      issues.push({
        path,
        message: `the key in ${key.key_env} is shorter than ${MIN_API_KEY_LENGTH} characters; use 32 random bytes (e.g. openssl rand -base64 32)`,
      });
      return;
    }
    const earlier = firstUse.get(value);
    if (earlier !== undefined) {
      issues.push({ path, message: `holds the same key as api_keys.${earlier}.key_env` });
      return;
    }
    firstUse.set(value, index);
    apiKeys.set(index, value);
  });

  const serverEnv = new Map<string, Record<string, string>>();
  config.workspaces.forEach((workspace, wi) => {
    workspace.servers.forEach((server, si) => {
      const resolved: Record<string, string> = {};
      for (const [name, entry] of Object.entries(server.env)) {
        if (typeof entry === 'string') resolved[name] = entry;
        else if ('value_env' in entry) {
          const path = `workspaces.${wi}.servers.${si}.env.${name}.value_env`;
          const value = read(path, entry.value_env);
          if (value !== undefined) resolved[name] = value;
        }
      }
      serverEnv.set(serverEnvKey(wi, si), resolved);
    });
  });

  if (issues.length > 0) throw new ConfigFileError(source, issues);
  return { passwords, apiKeys, serverEnv };
}
