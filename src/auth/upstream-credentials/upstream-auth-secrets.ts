/**
 * Turns a declared `upstream_auth` (values resolved from the environment, or
 * sent by an API caller) into the stored form, header values sealed by the
 * vault, and opens them again for the upstream transports.
 *
 * Sealing is randomised, so a value that did not change keeps its former
 * sealed form: `portcullis apply` stays idempotent and reports no change.
 */
import { ConfigFileError } from '../../config/config-issue.ts';
import type { ConfigIssue } from '../../config/config-issue.ts';
import type { DeclarativeConfig } from '../../config/declarative-schema.ts';
import { GatewayError } from '../../shared/errors.ts';
import type { ServerDefinition, UpstreamAuth } from '../../store/model.ts';
import { isValidHeaderValue } from './upstream-auth-schema.ts';
import type { DeclaredUpstreamAuth } from './upstream-auth-schema.ts';
import { VaultError } from './vault.ts';
import type { Vault } from './vault.ts';

export const HEADER_PURPOSE = 'server-header';
/** An admin-registered upstream OAuth client's secret (`upstream_auth.oauth`). */
export const OAUTH_CLIENT_SECRET_PURPOSE = 'upstream-client-secret';

export const NO_UPSTREAM_AUTH: UpstreamAuth = { mode: 'none', forwardIdentity: false };

/** Where a resolved OAuth client secret sits among a server's resolved values (not a header name). */
const OAUTH_SECRET_KEY = ' oauth client secret';

/** Plaintext header values per `workspaces` index, then `servers` index (`"0.1"`). */
export type UpstreamHeaderValues = ReadonlyMap<string, Readonly<Record<string, string>>>;

function opens(
  vault: Vault,
  sealed: string | null | undefined,
  plaintext: string,
  purpose = HEADER_PURPOSE,
): boolean {
  if (sealed === undefined || sealed === null) return false;
  try {
    return vault.open(purpose, sealed) === plaintext && !vault.isStale(sealed);
  } catch {
    return false;
  }
}

/**
 * The stored form of `declared`, whose header values are plaintext.
 * `previous` is the server's stored auth, whose sealed values are reused when
 * they still hold the same plaintext under the current key.
 */
export function sealUpstreamAuth(
  declared: DeclaredUpstreamAuth<string> | undefined,
  vault: Vault,
  previous?: UpstreamAuth,
): UpstreamAuth {
  if (declared === undefined) return NO_UPSTREAM_AUTH;
  const forwardIdentity = declared.forward_identity;
  if (declared.mode === 'none') return { mode: 'none', forwardIdentity };
  if (declared.mode === 'oauth') {
    const oauth = declared.oauth!;
    const secret = oauth.client_secret;
    const former = previous?.mode === 'oauth' ? previous.oauth.clientSecret : null;
    return {
      mode: 'oauth',
      forwardIdentity,
      oauth: {
        grant: oauth.grant,
        clientId: oauth.client_id ?? null,
        clientSecret:
          secret === undefined
            ? null
            : opens(vault, former, secret, OAUTH_CLIENT_SECRET_PURPOSE)
              ? former
              : vault.seal(OAUTH_CLIENT_SECRET_PURPOSE, secret),
        scopes: [...oauth.scopes],
        omitResource: oauth.omit_resource,
        authorizeParams: { ...oauth.authorize_params },
      },
    };
  }
  const former = previous?.mode === 'headers' ? previous.headers : {};
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(declared.headers ?? {}))
    headers[name] = opens(vault, former[name], value)
      ? former[name]!
      : vault.seal(HEADER_PURPOSE, value);
  return { mode: 'headers', headers, forwardIdentity };
}

/** Maps `{ value }` entries (admin API) to their plaintext. */
export function literalUpstreamAuth(
  declared: DeclaredUpstreamAuth<{ value: string }>,
): DeclaredUpstreamAuth<string> {
  const { oauth } = declared;
  return {
    mode: declared.mode,
    forward_identity: declared.forward_identity,
    headers: Object.fromEntries(
      Object.entries(declared.headers ?? {}).map(([name, entry]) => [name, entry.value]),
    ),
    ...(oauth === undefined
      ? {}
      : {
          oauth: {
            ...oauth,
            client_secret: oauth.client_secret?.value,
          },
        }),
  };
}

/**
 * Opens the static headers of one server, names lower-cased as undici sends
 * them; undefined when it has none. Throws GatewayError `secret_unreadable`
 * naming the header (never its value).
 */
export function openUpstreamHeaders(
  vault: Vault | undefined,
  server: Pick<ServerDefinition, 'workspaceId' | 'id' | 'upstreamAuth'>,
): Record<string, string> | undefined {
  const auth = server.upstreamAuth;
  if (auth.mode !== 'headers') return undefined;
  const headers: Record<string, string> = {};
  for (const [name, sealed] of Object.entries(auth.headers)) {
    try {
      if (vault === undefined) throw new VaultError('no vault to open sealed values');
      headers[name.toLowerCase()] = vault.open(HEADER_PURPOSE, sealed);
    } catch (error) {
      throw new GatewayError(
        'secret_unreadable',
        `The upstream header ${name} of server ${server.workspaceId}/${server.id} cannot be decrypted with the configured secret keys.`,
        { cause: error },
      );
    }
  }
  return headers;
}

/**
 * Resolves every `upstream_auth.headers.*.value_env` of a config; all
 * missing or unusable variables are reported at once, by config path.
 */
export function resolveUpstreamHeaderValues(
  config: DeclarativeConfig,
  env: Readonly<Record<string, string | undefined>>,
  source = '(unnamed config)',
): UpstreamHeaderValues {
  const issues: ConfigIssue[] = [];
  const resolved = new Map<string, Record<string, string>>();
  config.workspaces.forEach((workspace, wi) => {
    workspace.servers.forEach((server, si) => {
      const values: Record<string, string> = {};
      for (const [name, entry] of Object.entries(server.upstream_auth?.headers ?? {})) {
        const path = `workspaces.${wi}.servers.${si}.upstream_auth.headers.${name}.value_env`;
        const value = env[entry.value_env];
        if (value === undefined || value === '')
          issues.push({ path, message: `environment variable ${entry.value_env} is not set` });
        else if (!isValidHeaderValue(value))
          issues.push({
            path,
            message: `the value in ${entry.value_env} has control characters (a header value cannot)`,
          });
        else values[name] = value;
      }
      const secretEnv = server.upstream_auth?.oauth?.client_secret?.value_env;
      if (secretEnv !== undefined) {
        const value = env[secretEnv];
        if (value === undefined || value === '')
          issues.push({
            path: `workspaces.${wi}.servers.${si}.upstream_auth.oauth.client_secret_env`,
            message: `environment variable ${secretEnv} is not set`,
          });
        else values[OAUTH_SECRET_KEY] = value;
      }
      resolved.set(`${wi}.${si}`, values);
    });
  });
  if (issues.length > 0) throw new ConfigFileError(source, issues);
  return resolved;
}

/**
 * For `applyConfig`: resolves every header value of `config` up front (all
 * problems reported at once), then gives the stored `upstreamAuth` of the
 * server at (`workspaceIndex`, `serverIndex`), reusing `previous` sealed
 * values that still hold.
 */
export function createDeclaredUpstreamAuth(
  config: DeclarativeConfig,
  env: Readonly<Record<string, string | undefined>>,
  vault: Vault | undefined,
  source = '(unnamed config)',
): (workspaceIndex: number, serverIndex: number, previous?: UpstreamAuth) => UpstreamAuth {
  const values = resolveUpstreamHeaderValues(config, env, source);
  return (workspaceIndex, serverIndex, previous) => {
    const declared = config.workspaces[workspaceIndex]?.servers[serverIndex]?.upstream_auth;
    if (declared === undefined) return NO_UPSTREAM_AUTH;
    const needsVault =
      declared.mode === 'headers' ||
      (declared.mode === 'oauth' && declared.oauth?.client_secret !== undefined);
    if (needsVault && vault === undefined)
      throw new ConfigFileError(source, [
        {
          path: `workspaces.${workspaceIndex}.servers.${serverIndex}.upstream_auth`,
          message: 'header values are sealed by the vault, which this command was not given',
        },
      ]);
    const { [OAUTH_SECRET_KEY]: clientSecret, ...headers } =
      values.get(`${workspaceIndex}.${serverIndex}`) ?? {};
    const { oauth } = declared;
    return sealUpstreamAuth(
      {
        mode: declared.mode,
        forward_identity: declared.forward_identity,
        headers,
        ...(oauth === undefined ? {} : { oauth: { ...oauth, client_secret: clientSecret } }),
      },
      vault as Vault,
      previous,
    );
  };
}
