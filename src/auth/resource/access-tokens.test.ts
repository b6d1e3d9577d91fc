import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { createAccessTokenVerifier, looksLikeJwt } from './access-tokens.ts';

const ISSUER = 'http://127.0.0.1:8080';
const RESOURCE = `${ISSUER}/acme/github/mcp`;

let publicJwk: JWK;
let privateKey: CryptoKey;
let otherKey: CryptoKey;

before(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
  otherKey = (await generateKeyPair('ES256')).privateKey;
});

function token(
  claims: Record<string, unknown> = {},
  options: { key?: CryptoKey; typ?: string; exp?: number; iss?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    client_id: 'client-1',
    scope: 'mcp offline_access',
    gid: 'grant-1',
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: options.typ ?? 'at+jwt', kid: 'k1' })
    .setIssuer(options.iss ?? ISSUER)
    .setSubject('user-1')
    .setAudience(RESOURCE)
    .setIssuedAt(now)
    .setJti(crypto.randomUUID())
    .setExpirationTime(options.exp ?? now + 600)
    .sign(options.key ?? privateKey);
}

function verifier(activeGrants = new Set(['grant-1']), now = () => Date.now()) {
  let grantChecks = 0;
  const tokens = createAccessTokenVerifier({
    issuer: ISSUER,
    keys: () => [publicJwk],
    isGrantActive: (gid) => {
      grantChecks++;
      return Promise.resolve(activeGrants.has(gid));
    },
    now,
  });
  return { tokens, grantChecks: () => grantChecks };
}

describe('access token verification', () => {
  it('refuses a token signed by another key', async () => {
    const { tokens } = verifier();
    assert.equal(await tokens.verify(await token({}, { key: otherKey })), undefined);
  });

  it('refuses a token from another issuer', async () => {
    const { tokens } = verifier();
    assert.equal(await tokens.verify(await token({}, { iss: `${ISSUER}/` })), undefined);
  });

  it('refuses an expired token', async () => {
    const { tokens } = verifier();
    const expired = await token({}, { exp: Math.floor(Date.now() / 1000) - 5 });
    assert.equal(await tokens.verify(expired), undefined);
  });

  it('refuses a JWT that is not an access token (typ)', async () => {
    const { tokens } = verifier();
    assert.equal(await tokens.verify(await token({}, { typ: 'JWT' })), undefined);
  });

  it('refuses a token without a grant id', async () => {
    const { tokens } = verifier();
    assert.equal(await tokens.verify(await token({ gid: undefined })), undefined);
  });

  it('refuses a token whose grant was revoked', async () => {
    const { tokens } = verifier(new Set());
    assert.equal(await tokens.verify(await token()), undefined);
  });

  it('refuses garbage without throwing', async () => {
    const { tokens } = verifier();
    assert.equal(await tokens.verify('eyJhbGciOiJFUzI1NiJ9.e30.AAAA'), undefined);
  });

  it('accepts a valid token and returns its claims', async () => {
    const { tokens } = verifier();
    const claims = await tokens.verify(await token());
    assert.deepEqual(claims && { ...claims, scopes: [...claims.scopes] }, {
      userId: 'user-1',
      audience: [RESOURCE],
      clientId: 'client-1',
      scopes: ['mcp', 'offline_access'],
      expiresAt: claims?.expiresAt,
      grantId: 'grant-1',
    });
  });

  it('answers a cached token synchronously without asking about its grant again', async () => {
    const { tokens, grantChecks } = verifier();
    const jwt = await token();
    await tokens.verify(jwt);
    const again = tokens.verify(jwt);
    assert.ok(!(again instanceof Promise));
    assert.equal(again?.userId, 'user-1');
    assert.equal(grantChecks(), 1);
  });

  it('refuses a cached token at once after its grant is forgotten', async () => {
    const grants = new Set(['grant-1']);
    const { tokens } = verifier(grants);
    const jwt = await token();
    assert.ok(await tokens.verify(jwt));
    grants.delete('grant-1');
    tokens.forgetGrant('grant-1');
    assert.equal(await tokens.verify(jwt), undefined);
  });

  it('rechecks the grant of a cached token after a few seconds (revocation on another instance)', async () => {
    const grants = new Set(['grant-1']);
    let clock = Date.now();
    const { tokens } = verifier(grants, () => clock);
    const jwt = await token();
    assert.ok(await tokens.verify(jwt));
    grants.delete('grant-1');
    assert.ok(tokens.verify(jwt), 'still cached');
    clock += 6_000;
    assert.equal(await tokens.verify(jwt), undefined);
  });

  it("asks about the grant with the token's audience, refusing it once the grant stops covering it", async () => {
    const covered = new Set([RESOURCE]);
    const asked: string[][] = [];
    const tokens = createAccessTokenVerifier({
      issuer: ISSUER,
      keys: () => [publicJwk],
      isGrantActive: (gid, audience) => {
        asked.push([...audience]);
        return Promise.resolve(gid === 'grant-1' && audience.every((url) => covered.has(url)));
      },
    });
    const jwt = await token();
    assert.ok(await tokens.verify(jwt));
    assert.deepEqual(asked, [[RESOURCE]]);
    covered.delete(RESOURCE);
    tokens.forgetGrant('grant-1');
    assert.equal(await tokens.verify(jwt), undefined);
  });

  it('refuses a cached token once it expires', async () => {
    let clock = Date.now();
    const { tokens } = verifier(new Set(['grant-1']), () => clock);
    const jwt = await token({}, { exp: Math.floor(clock / 1000) + 2 });
    assert.ok(await tokens.verify(jwt));
    clock += 3_000;
    assert.equal(await tokens.verify(jwt), undefined);
  });

  it('tells JWTs from API keys by shape', () => {
    assert.equal(looksLikeJwt('pcl_abc'), false);
    assert.equal(looksLikeJwt('eyJa.eyJb.c'), true);
  });
});
