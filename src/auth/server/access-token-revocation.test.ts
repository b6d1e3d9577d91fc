import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Client } from 'oidc-provider';
import { createAccessTokenRevocation } from './access-token-revocation.ts';

const ISSUER = 'https://gw.example';

async function setup() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  const revoked: string[] = [];
  const clients = new Map<string, Client>([
    [
      'conf client',
      {
        clientId: 'conf client',
        clientAuthMethod: 'client_secret_basic',
        clientSecret: 's3cret:+&',
      } as Client,
    ],
    ['pub', { clientId: 'pub', clientAuthMethod: 'none' } as Client],
  ]);
  const revocation = createAccessTokenRevocation({
    issuer: ISSUER,
    verificationKeys: [publicJwk],
    findClient: async (id) => clients.get(id),
    revokeGrant: async (gid) => {
      revoked.push(gid);
    },
  });
  const token = (clientId: string, options: { exp?: number; iss?: string } = {}) =>
    new SignJWT({ client_id: clientId, gid: `g-${clientId}` })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })
      .setIssuer(options.iss ?? ISSUER)
      .setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 60)
      .sign(privateKey);
  return { revocation, revoked, token };
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('access token revocation', () => {
  it('hands tokens that are not ours to oidc-provider', async () => {
    const { revocation, token } = await setup();
    assert.equal(
      await revocation.handle({
        authorization: undefined,
        form: new URLSearchParams({ token: 'opaque' }),
      }),
      undefined,
    );
    const foreign = await token('pub', { iss: 'https://other.example' });
    assert.equal(
      await revocation.handle({
        authorization: undefined,
        form: new URLSearchParams({ token: foreign }),
      }),
      undefined,
    );
  });

  it('refuses a wrong secret, a secret in the wrong place and an unknown client', async () => {
    const { revocation, revoked, token } = await setup();
    const value = await token('conf client');
    for (const request of [
      { authorization: basic('conf client', 'nope'), form: new URLSearchParams({ token: value }) },
      {
        authorization: undefined,
        form: new URLSearchParams({
          token: value,
          client_id: 'conf client',
          client_secret: 's3cret:+&',
        }),
      },
      { authorization: undefined, form: new URLSearchParams({ token: value, client_id: 'ghost' }) },
      { authorization: basic('pub', 'x'), form: new URLSearchParams({ token: value }) },
    ]) {
      assert.equal((await revocation.handle(request))?.status, 401);
    }
    assert.deepEqual(revoked, []);
  });

  it('revokes the grant of an expired token for its client authenticated by Basic with encoded characters', async () => {
    const { revocation, revoked, token } = await setup();
    const value = await token('conf client', { exp: Math.floor(Date.now() / 1000) - 3600 });
    const answer = await revocation.handle({
      authorization: basic('conf client', 's3cret:+&'),
      form: new URLSearchParams({ token: value }),
    });
    assert.equal(answer?.status, 200);
    assert.deepEqual(revoked, ['g-conf client']);
  });

  it("answers 200 but keeps the grant when a client submits another client's token", async () => {
    const { revocation, revoked, token } = await setup();
    const value = await token('conf client');
    const answer = await revocation.handle({
      authorization: undefined,
      form: new URLSearchParams({ token: value, client_id: 'pub' }),
    });
    assert.equal(answer?.status, 200);
    assert.deepEqual(revoked, []);
  });
});
