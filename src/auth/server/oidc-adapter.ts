/**
 * oidc-provider's storage adapter over the store port (`oauthArtefacts`).
 * One adapter instance per model (AccessToken, AuthorizationCode, Client,
 * Grant, Interaction, RefreshToken, Session…); the indexed columns are
 * extracted from the payload here so the store stays model-agnostic.
 *
 * Pre-seeded clients (known client ID metadata documents) are answered
 * from memory for model `Client`, so no fetch is needed for them.
 *
 * Nothing stored is a usable secret. Every model except Client and Grant
 * (whose ids are public) is keyed by the SHA-256 of its id, which is a bearer
 * secret (refresh token, authorization code, session cookie, interaction,
 * registration access token…), and stored without `jti`, which repeats the
 * id; `find` restores `jti` from the id presented. `findByUid` cannot, so
 * a Session found by uid gets a fresh `jti` from oidc-provider: it only reads
 * such sessions (interaction details, session-bound token checks).
 * A dynamically registered client's `client_secret` is sealed by the vault:
 * oidc-provider compares it in plaintext, so it cannot be a hash.
 */
import crypto from 'node:crypto';
import type { Vault } from '../upstream-credentials/vault.ts';
import { isSealedValue } from '../upstream-credentials/vault.ts';
import type { OAuthArtefactInput, Store } from '../../store/store.ts';

/** Vault purpose of a client's `client_secret`. */
export const CLIENT_SECRET_PURPOSE = 'oauth-client-secret';
const PUBLIC_ID_MODELS = new Set(['Client', 'Grant']);

/** The stored id of an artefact: hashed unless the model's ids are public. */
export function storedArtefactId(model: string, id: string): string {
  return PUBLIC_ID_MODELS.has(model)
    ? id
    : crypto.createHash('sha256').update(id).digest('base64url');
}

/** The oidc-provider adapter contract (lib/adapters/memory_adapter.js). */
export interface OidcAdapter {
  upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Record<string, unknown> | undefined>;
  findByUid(uid: string): Promise<Record<string, unknown> | undefined>;
  findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export interface OidcAdapterOptions {
  store: Store;
  vault: Vault;
  /** Client metadata served without storage, by client id. */
  preseededClients?: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** Told whenever a grant's artefacts are revoked or the grant itself is destroyed. */
  onGrantRevoked?: (grantId: string) => void;
  now?: () => number;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** The indexed columns of one artefact; exported for its unit test. */
export function extractArtefactColumns(
  model: string,
  payload: Readonly<Record<string, unknown>>,
  expiresIn: number | undefined,
  now: number,
): OAuthArtefactInput {
  return {
    payload,
    grantId: stringOrNull(payload.grantId),
    uid: stringOrNull(payload.uid),
    userCode: stringOrNull(payload.userCode),
    accountId: stringOrNull(payload.accountId),
    // Client payloads are RFC 7591 metadata (snake case); token payloads use clientId.
    clientId: stringOrNull(model === 'Client' ? payload.client_id : payload.clientId),
    expiresAt:
      typeof expiresIn === 'number' && Number.isFinite(expiresIn)
        ? new Date(now + expiresIn * 1000)
        : null,
  };
}

export function createOidcAdapter(options: OidcAdapterOptions): (model: string) => OidcAdapter {
  const { store } = options;
  const now = options.now ?? Date.now;
  const artefacts = store.oauthArtefacts;

  const { vault } = options;

  const toStored = (model: string, payload: Record<string, unknown>) => {
    if (model === 'Client') {
      return typeof payload.client_secret === 'string'
        ? { ...payload, client_secret: vault.seal(CLIENT_SECRET_PURPOSE, payload.client_secret) }
        : payload;
    }
    if (PUBLIC_ID_MODELS.has(model)) return payload;
    const { jti: _jti, ...rest } = payload;
    return rest;
  };

  const live = (
    model: string,
    artefact: Awaited<ReturnType<typeof artefacts.find>>,
    presentedId?: string,
  ): Record<string, unknown> | undefined => {
    if (artefact === undefined) return undefined;
    if (artefact.expiresAt !== null && artefact.expiresAt.getTime() <= now()) return undefined;
    const payload: Record<string, unknown> = { ...artefact.payload };
    // A secret stored before the vault existed is sealed at the next start (sealLegacySecrets).
    if (
      model === 'Client' &&
      typeof payload.client_secret === 'string' &&
      isSealedValue(payload.client_secret)
    )
      payload.client_secret = vault.open(CLIENT_SECRET_PURPOSE, payload.client_secret);
    else if (!PUBLIC_ID_MODELS.has(model) && presentedId !== undefined) payload.jti = presentedId;
    // oidc-provider detects replays of codes and rotated refresh tokens by `consumed`.
    if (artefact.consumedAt !== null) {
      payload.consumed = Math.floor(artefact.consumedAt.getTime() / 1000);
    }
    return payload;
  };

  return (model: string): OidcAdapter => ({
    async upsert(id, payload, expiresIn) {
      if (model === 'Client' && options.preseededClients?.has(id)) return;
      await artefacts.upsert(
        model,
        storedArtefactId(model, id),
        extractArtefactColumns(model, toStored(model, payload), expiresIn, now()),
      );
    },
    async find(id) {
      if (model === 'Client') {
        const seeded = options.preseededClients?.get(id);
        if (seeded !== undefined) return { ...seeded };
      }
      return live(model, await artefacts.find(model, storedArtefactId(model, id)), id);
    },
    async findByUid(uid) {
      return live(model, await artefacts.findByUid(model, uid));
    },
    async findByUserCode(userCode) {
      return live(model, await artefacts.findByUserCode(model, userCode));
    },
    async consume(id) {
      await artefacts.consume(model, storedArtefactId(model, id), new Date(now()));
    },
    async destroy(id) {
      await artefacts.destroy(model, storedArtefactId(model, id));
      if (model === 'Grant') options.onGrantRevoked?.(id);
    },
    async revokeByGrantId(grantId) {
      await artefacts.revokeByGrantId(grantId);
      options.onGrantRevoked?.(grantId);
    },
  });
}
