/**
 * Re-sealing every secret the store holds, kind by kind: what `portcullis
 * rotate-key` runs (stale values, sealed under a previous secret key, are
 * sealed again under the current one) and what every start runs in `legacy`
 * mode (values stored before the vault existed, in plaintext or in the
 * earlier sealed-box format, are sealed).
 *
 * Rotation first checks every kind without writing and refuses, changing
 * nothing, when some value opens under none of the keys; then each kind is
 * re-sealed in its own transaction. A kind interrupted half-way is simply
 * rotated again by the next run: old and new keys both open during rotation.
 */
import { CLIENT_SECRET_PURPOSE } from '../server/oidc-adapter.ts';
import { openSigningJwk, SIGNING_KEY_PURPOSE } from '../server/signing-keys.ts';
import type { Store } from '../../store/store.ts';
import { MEMBER_SECRET_PURPOSE } from './member-secrets.ts';
import { SERVER_ENV_PURPOSE } from './server-env.ts';
import { HEADER_PURPOSE } from './upstream-auth-secrets.ts';
import { upstreamOAuthResealers } from './connections-resealers.ts';
import type { Vault } from './vault.ts';
import { isSealedValue } from './vault.ts';

export interface ResealContext {
  readonly vault: Vault;
  /** Secret keys that may have sealed signing keys in the earlier sealed-box format. */
  readonly legacySecretKeys: readonly string[];
  /** `rotate`: stale and unsealed values; `legacy`: unsealed values only. */
  readonly mode: 'rotate' | 'legacy';
}

export interface ResealTally {
  readonly kind: string;
  /** Re-sealed under the current key. */
  resealed: number;
  /** Stored unsealed (plaintext or the earlier format) and sealed now. */
  sealed: number;
  /** Already sealed under the current key. */
  current: number;
  /** Where values open under none of the keys (never the values). */
  unreadable: string[];
}

export interface SecretResealer {
  readonly kind: string;
  /** Counts, and writes through `store` (a transaction) when `write` is set. */
  run(store: Store, context: ResealContext, write: boolean): Promise<ResealTally>;
}

function tally(kind: string): ResealTally {
  return { kind, resealed: 0, sealed: 0, current: 0, unreadable: [] };
}

/** The value to store instead of `value` (the same string when nothing is to change). */
function resealValue(
  context: ResealContext,
  purpose: string,
  value: string,
  where: string,
  counts: ResealTally,
  openUnsealed: (value: string) => string | undefined = (plain) => plain,
): string {
  const { vault } = context;
  if (!isSealedValue(value)) {
    const plaintext = openUnsealed(value);
    if (plaintext === undefined) {
      counts.unreadable.push(where);
      return value;
    }
    counts.sealed++;
    return vault.seal(purpose, plaintext);
  }
  if (context.mode === 'legacy') return value;
  let plaintext: string;
  try {
    plaintext = vault.open(purpose, value);
  } catch {
    counts.unreadable.push(where);
    return value;
  }
  if (!vault.isStale(value)) {
    counts.current++;
    return value;
  }
  counts.resealed++;
  return vault.seal(purpose, plaintext);
}

const serverEnv: SecretResealer = {
  kind: 'server environment values',
  async run(store, context, write) {
    const counts = tally(this.kind);
    for (const server of await store.servers.list()) {
      const env: Record<string, string> = {};
      let changed = false;
      for (const [name, value] of Object.entries(server.env)) {
        const where = `server ${server.workspaceId}/${server.id} env ${name}`;
        env[name] = resealValue(context, SERVER_ENV_PURPOSE, value, where, counts);
        changed ||= env[name] !== value;
      }
      if (changed && write)
        await store.servers.updateSecrets(server.workspaceId, server.id, { env });
    }
    return counts;
  },
};

const serverHeaders: SecretResealer = {
  kind: 'server header values',
  async run(store, context, write) {
    const counts = tally(this.kind);
    for (const server of await store.servers.list()) {
      const auth = server.upstreamAuth;
      if (auth.mode !== 'headers') continue;
      const headers: Record<string, string> = {};
      let changed = false;
      for (const [name, value] of Object.entries(auth.headers)) {
        const where = `server ${server.workspaceId}/${server.id} header ${name}`;
        headers[name] = resealValue(context, HEADER_PURPOSE, value, where, counts);
        changed ||= headers[name] !== value;
      }
      if (changed && write)
        await store.servers.updateSecrets(server.workspaceId, server.id, {
          upstreamAuth: { ...auth, headers },
        });
    }
    return counts;
  },
};

const memberSecrets: SecretResealer = {
  kind: 'member secret values',
  async run(store, context, write) {
    const counts = tally(this.kind);
    for (const secret of await store.memberSecrets.list()) {
      const where = `member secret ${secret.name} of user ${secret.userId} on server ${secret.workspaceId}/${secret.serverId}`;
      const next = resealValue(context, MEMBER_SECRET_PURPOSE, secret.sealedValue, where, counts);
      if (next !== secret.sealedValue && write)
        await store.memberSecrets.put(secret.workspaceId, secret.serverId, secret.userId, {
          [secret.name]: next,
        });
    }
    return counts;
  },
};

const clientSecrets: SecretResealer = {
  kind: 'OAuth client secrets',
  async run(store, context, write) {
    const counts = tally(this.kind);
    for (const client of await store.oauthArtefacts.listByModel('Client')) {
      const secret = client.payload.client_secret;
      if (typeof secret !== 'string') continue;
      const where = `OAuth client ${client.id}`;
      const next = resealValue(context, CLIENT_SECRET_PURPOSE, secret, where, counts);
      if (next !== secret && write)
        await store.oauthArtefacts.upsert('Client', client.id, {
          payload: { ...client.payload, client_secret: next },
          grantId: client.grantId,
          uid: client.uid,
          userCode: client.userCode,
          accountId: client.accountId,
          clientId: client.clientId,
          expiresAt: client.expiresAt,
        });
    }
    return counts;
  },
};

const signingKeys: SecretResealer = {
  kind: 'signing keys',
  async run(store, context, write) {
    const counts = tally(this.kind);
    for (const key of await store.signingKeys.list()) {
      const openLegacy = (sealed: string): string | undefined => {
        try {
          const { jwk } = openSigningJwk(context.vault, context.legacySecretKeys, key.kid, sealed);
          return JSON.stringify(jwk);
        } catch {
          return undefined;
        }
      };
      const where = `signing key ${key.kid}`;
      const next = resealValue(
        context,
        SIGNING_KEY_PURPOSE,
        key.sealedJwk,
        where,
        counts,
        openLegacy,
      );
      if (next !== key.sealedJwk && write) await store.signingKeys.reseal(key.kid, next);
    }
    return counts;
  },
};

/** Every kind of sealed value; a new kind of stored secret adds its resealer here. */
export const resealers: readonly SecretResealer[] = [
  serverEnv,
  serverHeaders,
  memberSecrets,
  clientSecrets,
  signingKeys,
  ...upstreamOAuthResealers({ tally, resealValue }),
];

/** Thrown by a rotation that found values no key opens; nothing was changed. */
export class UnreadableSecretsError extends Error {
  readonly where: readonly string[];
  constructor(where: readonly string[]) {
    super(
      `${where.length} stored secret${where.length === 1 ? '' : 's'} open${where.length === 1 ? 's' : ''} under none of the configured keys (${where.join('; ')}); ` +
        'set the key that sealed them in PORTCULLIS_PREVIOUS_SECRET_KEYS, or replace them (portcullis apply, the admin API), then run rotate-key again',
    );
    this.name = 'UnreadableSecretsError';
    this.where = where;
  }
}

/** `portcullis rotate-key`: re-seals everything under the current key, or refuses. */
export async function rotateSecrets(
  store: Store,
  context: Omit<ResealContext, 'mode'>,
  kinds: readonly SecretResealer[] = resealers,
): Promise<ResealTally[]> {
  const rotation: ResealContext = { ...context, mode: 'rotate' };
  const unreadable: string[] = [];
  for (const resealer of kinds)
    unreadable.push(...(await resealer.run(store, rotation, false)).unreadable);
  if (unreadable.length > 0) throw new UnreadableSecretsError(unreadable);
  const tallies: ResealTally[] = [];
  for (const resealer of kinds)
    tallies.push(await store.transaction((tx) => resealer.run(tx, rotation, true)));
  return tallies;
}

/** Seals what was stored before the vault existed; run at every start, after migrating. */
export async function sealLegacySecrets(
  store: Store,
  context: Omit<ResealContext, 'mode'>,
  kinds: readonly SecretResealer[] = resealers,
): Promise<ResealTally[]> {
  const legacy: ResealContext = { ...context, mode: 'legacy' };
  const tallies: ResealTally[] = [];
  for (const resealer of kinds)
    tallies.push(await store.transaction((tx) => resealer.run(tx, legacy, true)));
  return tallies;
}
