/**
 * The secrets of a server definition written through the admin API: header
 * values, the upstream OAuth client secret and environment values. The API
 * never shows them (they are stored sealed) and PUT replaces the whole
 * definition, so where a secret goes a PUT may send `{ "stored": true }`
 * instead of `{ "value": … }`: the value stored for that same server under
 * that name is kept as it is sealed. A new value replaces it; an entry left out
 * is removed.
 *
 * A kept secret never follows the server somewhere else. It is refused, naming
 * the field, when nothing is stored under that name (or the server is new),
 * when the upstream URL's origin changed (anyone who may edit the server could
 * otherwise point it at their own host and receive a secret somebody else
 * set; the value must be given again for the new host), and for the client
 * secret when the client id changed (the secret belongs to that client).
 * Environment values follow a changed command: only instance administrators
 * write stdio definitions, and they already choose what runs with them.
 */
import { z } from 'zod';
import {
  apiClientSecret,
  apiHeaderValue,
  apiOAuthSchemaWith,
  upstreamAuthSchema,
} from '../auth/upstream-credentials/upstream-auth-schema.ts';
import type { DeclaredUpstreamAuth } from '../auth/upstream-credentials/upstream-auth-schema.ts';
import { sealUpstreamAuth } from '../auth/upstream-credentials/upstream-auth-secrets.ts';
import { SERVER_ENV_PURPOSE, tryOpenServerEnv } from '../auth/upstream-credentials/server-env.ts';
import { isSealedValue } from '../auth/upstream-credentials/vault.ts';
import type { Vault } from '../auth/upstream-credentials/vault.ts';
import { envEntry } from '../config/declarative-schema.ts';
import type { ServerDefinition, UpstreamAuth } from '../store/model.ts';
import { invalidInput } from './api-route.ts';
import type { InputIssue } from './api-route.ts';

export const storedSecret = z
  .strictObject({ stored: z.literal(true) })
  .describe(
    'Keeps the value stored for this server under this name (PUT of a stored server, or a test of its edited definition). Refused when nothing is stored there, and for headers and the client secret when the URL origin (or the client id) changed.',
  );
export type StoredSecret = z.infer<typeof storedSecret>;

export function isStoredSecret(entry: unknown): entry is StoredSecret {
  return typeof entry === 'object' && entry !== null && 'stored' in entry;
}

const headerValue = z.union([apiHeaderValue, storedSecret], {
  error: 'must be { "value": "…" } (a new value) or { "stored": true } (keep the stored one)',
});
const clientSecret = z.union([apiClientSecret, storedSecret], {
  error: 'must be the secret (no control characters) or { "stored": true } (keep the stored one)',
});

/** `upstream_auth` as the admin API takes it: secrets given, or kept with `{ stored: true }`. */
export const apiServerAuthSchema = upstreamAuthSchema(
  headerValue,
  apiOAuthSchemaWith(clientSecret),
);

/** An `env` entry as the admin API takes it; `{ stored: true }` keeps a stored value. */
export const apiEnvEntry = z.union([envEntry, storedSecret]);

type Secret = { value: string } | StoredSecret;

/** The parts of a write body that hold secrets. */
export interface SecretsOfBody {
  readonly id: string;
  readonly url?: string | undefined;
  readonly env: Readonly<Record<string, string | object>>;
  readonly upstream_auth?: DeclaredUpstreamAuth<Secret> | undefined;
}

export interface SealedSecrets {
  /** Undefined when the body declares no `upstream_auth`. */
  readonly upstreamAuth: UpstreamAuth | undefined;
  /** Literal and kept environment values, sealed. */
  readonly env: Record<string, string>;
}

const isCurrentSeal = (vault: Vault, value: string): boolean =>
  isSealedValue(value) && !vault.isStale(value);

const originOf = (url: string | null | undefined): string | undefined => {
  if (url === null || url === undefined) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

/** What a body may keep from `current`, and the refusals found so far. */
interface Keeping {
  readonly current: ServerDefinition | undefined;
  readonly fromOrigin: string | undefined;
  readonly toOrigin: string | undefined;
  readonly issues: InputIssue[];
}

/** Records why `stored` cannot be kept at `path`; true when it can. */
function mayKeep(
  keeping: Keeping,
  path: string,
  what: string,
  stored: string | null | undefined,
  hostBound: boolean,
): stored is string {
  const { current, fromOrigin, toOrigin } = keeping;
  const problem =
    current === undefined
      ? `a new server has no stored ${what} to keep; send the value itself`
      : stored === undefined || stored === null
        ? `server "${current.id}" has no stored ${what} to keep; send the value itself`
        : hostBound && fromOrigin !== toOrigin
          ? `the stored ${what} was given for ${fromOrigin ?? 'another upstream'}; it does not follow the server to ${toOrigin ?? 'another upstream'}: send the value again`
          : undefined;
  if (problem !== undefined) keeping.issues.push({ path, message: problem });
  return problem === undefined;
}

function sealAuth(
  declared: DeclaredUpstreamAuth<Secret>,
  vault: Vault,
  keeping: Keeping,
): UpstreamAuth {
  const previous = keeping.current?.upstreamAuth;
  const storedHeaders = previous?.mode === 'headers' ? previous.headers : {};
  const kept: Record<string, string> = {};
  const given: Record<string, string> = {};
  for (const [name, entry] of Object.entries(declared.headers ?? {})) {
    if (!isStoredSecret(entry)) {
      given[name] = entry.value;
      continue;
    }
    // Header names ignore case (RFC 9110 §5.1): another spelling keeps the value.
    const storedName = Object.keys(storedHeaders).find(
      (other) => other.toLowerCase() === name.toLowerCase(),
    );
    const stored = storedName === undefined ? undefined : storedHeaders[storedName];
    const path = `body.upstream_auth.headers.${name}`;
    if (mayKeep(keeping, path, `value for header ${name}`, stored, true)) kept[name] = stored;
  }

  const { oauth } = declared;
  let keptSecret: string | undefined;
  if (oauth !== undefined && isStoredSecret(oauth.client_secret)) {
    const storedOAuth = previous?.mode === 'oauth' ? previous.oauth : undefined;
    const stored = storedOAuth?.clientSecret;
    const path = 'body.upstream_auth.oauth.client_secret';
    if (mayKeep(keeping, path, 'client secret', stored, true)) {
      // The secret authenticates one client: another client id needs its own.
      if (storedOAuth?.clientId === (oauth.client_id ?? null)) keptSecret = stored;
      else
        keeping.issues.push({
          path,
          message: `the stored client secret belongs to client ${JSON.stringify(storedOAuth?.clientId)}; send the secret of client ${JSON.stringify(oauth.client_id ?? null)}`,
        });
    }
  }
  const givenSecret = isStoredSecret(oauth?.client_secret)
    ? undefined
    : oauth?.client_secret?.value;

  const sealed = sealUpstreamAuth(
    {
      mode: declared.mode,
      forward_identity: declared.forward_identity,
      headers: given,
      ...(oauth === undefined ? {} : { oauth: { ...oauth, client_secret: givenSecret } }),
    },
    vault,
    previous,
  );
  if (sealed.mode === 'headers') {
    // In the body's order, kept and given alike.
    const headers: Record<string, string> = {};
    for (const name of Object.keys(declared.headers ?? {})) {
      const value = kept[name] ?? sealed.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    return { ...sealed, headers };
  }
  if (sealed.mode === 'oauth' && keptSecret !== undefined)
    return { ...sealed, oauth: { ...sealed.oauth, clientSecret: keptSecret } };
  return sealed;
}

function sealEnv(
  declared: SecretsOfBody['env'],
  vault: Vault,
  keeping: Keeping,
): Record<string, string> {
  const storedEnv = keeping.current?.env ?? {};
  const opened = tryOpenServerEnv(vault, storedEnv) ?? {};
  const env: Record<string, string> = {};
  for (const [name, entry] of Object.entries(declared)) {
    const stored = storedEnv[name];
    if (typeof entry === 'string')
      env[name] =
        stored !== undefined && opened[name] === entry && isCurrentSeal(vault, stored)
          ? stored
          : vault.seal(SERVER_ENV_PURPOSE, entry);
    else if (
      isStoredSecret(entry) &&
      mayKeep(keeping, `body.env.${name}`, `value for variable ${name}`, stored, false)
    )
      // A value stored before the vault existed is sealed now rather than at the next start.
      env[name] = isSealedValue(stored) ? stored : vault.seal(SERVER_ENV_PURPOSE, stored);
  }
  return env;
}

/**
 * The stored form of a body's secrets: new values sealed (an unchanged value
 * keeps its stored sealing, so an edit that changes nothing records no
 * change), `{ stored: true }` resolved from `current`, the stored server of
 * the same id. Every secret that cannot be kept is refused at once, by field;
 * then nothing is written.
 */
export function sealServerSecrets(
  body: SecretsOfBody,
  vault: Vault,
  current: ServerDefinition | undefined,
): SealedSecrets {
  const keeping: Keeping = {
    current,
    fromOrigin: originOf(current?.url),
    toOrigin: originOf(body.url),
    issues: [],
  };
  const upstreamAuth =
    body.upstream_auth === undefined ? undefined : sealAuth(body.upstream_auth, vault, keeping);
  const env = sealEnv(body.env, vault, keeping);
  if (keeping.issues.length > 0) throw invalidInput(keeping.issues);
  return { upstreamAuth, env };
}
