/**
 * The authorization server's ES256 signing keys, kept in the store with the
 * private JWK sealed under the secret key, so every instance signs and
 * verifies with the same keys and a restart keeps issued tokens valid.
 *
 * The first start generates one. Key ids are sequential (`es256-1`, …), so
 * two instances starting at once try to insert the same kid: the loser's
 * insert conflicts and it re-reads the winner's key.
 */
import { exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { createSealedBox } from '../../session/sealed-box.ts';
import { isStoreError } from '../../store/store-error.ts';
import type { Store } from '../../store/store.ts';

const PURPOSE = 'signing-key';
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

export async function loadSigningKeys(deps: {
  store: Store;
  secretKey: string;
}): Promise<SigningKeys> {
  const box = createSealedBox(deps.secretKey);
  let stored = await deps.store.signingKeys.list();
  for (let attempt = 0; !stored.some((key) => key.retiredAt === null); attempt += 1) {
    if (attempt >= 3)
      throw new Error('could not create a signing key: concurrent inserts kept conflicting');
    const kid = `es256-${stored.length + 1}`;
    const jwk = await generate(kid);
    try {
      await deps.store.signingKeys.insert({ kid, alg: ALG, sealedJwk: box.seal(PURPOSE, jwk) });
    } catch (error) {
      // Another instance inserted this kid first: use its key.
      if (!isStoreError(error) || error.code !== 'conflict') throw error;
    }
    stored = await deps.store.signingKeys.list();
  }

  const signing: JWK[] = [];
  const verification: JWK[] = [];
  for (const key of stored) {
    const jwk = box.open<JWK>(PURPOSE, key.sealedJwk);
    if (jwk === undefined) {
      throw new Error(
        `signing key ${key.kid} cannot be opened with this secret key; was PORTCULLIS_SECRET_KEY changed?`,
      );
    }
    verification.push(publicPart(jwk));
    if (key.retiredAt === null) signing.unshift(jwk);
  }
  return { signing, verification };
}
