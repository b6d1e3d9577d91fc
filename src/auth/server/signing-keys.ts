/**
 * The authorization server's ES256 signing keys, kept in the store with the
 * private JWK sealed by the vault (purpose `signing-key`), so every instance
 * signs and verifies with the same keys, a restart keeps issued tokens valid
 * and `portcullis rotate-key` re-seals them with everything else. Keys sealed
 * in the earlier format (the sealed box under the secret key) are read once
 * and re-sealed by the vault.
 *
 * The first start generates one. Key ids are sequential (`es256-1`, …), so
 * two instances starting at once try to insert the same kid: the loser's
 * insert conflicts and it re-reads the winner's key.
 */
import { exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { createSealedBox } from '../../session/sealed-box.ts';
import type { Vault } from '../upstream-credentials/vault.ts';
import { isSealedValue } from '../upstream-credentials/vault.ts';
import { isStoreError } from '../../store/store-error.ts';
import type { Store } from '../../store/store.ts';

export const SIGNING_KEY_PURPOSE = 'signing-key';
const ALG = 'ES256';

export interface SigningKeys {
  /** Private JWKs for oidc-provider's `jwks`; active (unretired) keys only, newest first. */
  readonly signing: readonly JWK[];
  /** Public JWKs (with kid, alg, use) of every stored key, retired ones too. */
  readonly verification: readonly JWK[];
}

function publicPart(jwk: JWK): JWK {
  const { d: _d, ...rest } = jwk;
  return rest;
}

async function generate(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: ALG, use: 'sig' };
}

/** The private JWK of a stored key, in the vault format or the earlier sealed-box one. */
export function openSigningJwk(
  vault: Vault,
  legacySecretKeys: readonly string[],
  kid: string,
  sealed: string,
): { jwk: JWK; legacy: boolean } {
  if (isSealedValue(sealed)) {
    try {
      return { jwk: JSON.parse(vault.open(SIGNING_KEY_PURPOSE, sealed)) as JWK, legacy: false };
    } catch (error) {
      throw new Error(`signing key ${kid} cannot be opened`, { cause: error });
    }
  }
  for (const secretKey of legacySecretKeys) {
    const jwk = createSealedBox(secretKey).open<JWK>(SIGNING_KEY_PURPOSE, sealed);
    if (jwk !== undefined) return { jwk, legacy: true };
  }
  throw new Error(
    `signing key ${kid} cannot be opened with this secret key; was PORTCULLIS_SECRET_KEY changed?`,
  );
}

export async function loadSigningKeys(deps: {
  store: Store;
  vault: Vault;
  /** Secret keys (current first, then previous) that may have sealed keys in the earlier format. */
  legacySecretKeys: readonly string[];
}): Promise<SigningKeys> {
  const { vault } = deps;
  let stored = await deps.store.signingKeys.list();
  for (let attempt = 0; !stored.some((key) => key.retiredAt === null); attempt += 1) {
    if (attempt >= 3)
      throw new Error('could not create a signing key: concurrent inserts kept conflicting');
    const kid = `es256-${stored.length + 1}`;
    const jwk = await generate(kid);
    try {
      await deps.store.signingKeys.insert({
        kid,
        alg: ALG,
        sealedJwk: vault.seal(SIGNING_KEY_PURPOSE, JSON.stringify(jwk)),
      });
    } catch (error) {
      // Another instance inserted this kid first: use its key.
      if (!isStoreError(error) || error.code !== 'conflict') throw error;
    }
    stored = await deps.store.signingKeys.list();
  }

  const signing: JWK[] = [];
  const verification: JWK[] = [];
  for (const key of stored) {
    const { jwk, legacy } = openSigningJwk(vault, deps.legacySecretKeys, key.kid, key.sealedJwk);
    if (legacy)
      await deps.store.signingKeys.reseal(
        key.kid,
        vault.seal(SIGNING_KEY_PURPOSE, JSON.stringify(jwk)),
      );
    verification.push(publicPart(jwk));
    if (key.retiredAt === null) signing.unshift(jwk);
  }
  return { signing, verification };
}
