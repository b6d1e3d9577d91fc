/**
 * oidc-provider's storage adapter over the store port (`oauthArtefacts`).
 * One adapter instance per model (AccessToken, AuthorizationCode, Client,
 * Grant, Interaction, RefreshToken, Session…); the indexed columns are
 * extracted from the payload here so the store stays model-agnostic.
 *
 * Pre-seeded clients (known client ID metadata documents) are answered
 * from memory for model `Client`, so no fetch is needed for them.
 */
import type { OAuthArtefactInput, Store } from '../../store/store.ts';

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

  const live = (
    artefact: Awaited<ReturnType<typeof artefacts.find>>,
  ): Record<string, unknown> | undefined => {
    if (artefact === undefined) return undefined;
    if (artefact.expiresAt !== null && artefact.expiresAt.getTime() <= now()) return undefined;
    const payload: Record<string, unknown> = { ...artefact.payload };
    // oidc-provider detects replays of codes and rotated refresh tokens by `consumed`.
    if (artefact.consumedAt !== null) {
      payload.consumed = Math.floor(artefact.consumedAt.getTime() / 1000);
    }
    return payload;
  };

  return (model: string): OidcAdapter => ({
    async upsert(id, payload, expiresIn) {
      if (model === 'Client' && options.preseededClients?.has(id)) return;
      await artefacts.upsert(model, id, extractArtefactColumns(model, payload, expiresIn, now()));
    },
    async find(id) {
      if (model === 'Client') {
        const seeded = options.preseededClients?.get(id);
        if (seeded !== undefined) return { ...seeded };
      }
      return live(await artefacts.find(model, id));
    },
    async findByUid(uid) {
      return live(await artefacts.findByUid(model, uid));
    },
    async findByUserCode(userCode) {
      return live(await artefacts.findByUserCode(model, userCode));
    },
    async consume(id) {
      await artefacts.consume(model, id, new Date(now()));
    },
    async destroy(id) {
      await artefacts.destroy(model, id);
      if (model === 'Grant') options.onGrantRevoked?.(id);
    },
    async revokeByGrantId(grantId) {
      await artefacts.revokeByGrantId(grantId);
      options.onGrantRevoked?.(grantId);
    },
  });
}
