/** The authorization server's storage: oidc-provider artefacts and signing keys. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContractHarness } from './contract-support.ts';
import { isStoreErrorWith, sleep } from './contract-support.ts';

const hour = 3_600_000;

export function oauthContract(h: ContractHarness): void {
  describe('OAuth artefacts', () => {
    it('upsert round-trips every field; find is by model and id', async (t) => {
      const store = await h.open(t);
      const expiresAt = new Date('2030-01-01T00:00:00.000Z');
      const payload = { accountId: 'u1', scope: 'mcp', nested: { list: [1, 'two', null] } };
      await store.oauthArtefacts.upsert('AccessToken', 'at-1', {
        payload,
        grantId: 'g1',
        accountId: 'u1',
        clientId: 'client-1',
        expiresAt,
      });
      assert.deepEqual(await store.oauthArtefacts.find('AccessToken', 'at-1'), {
        model: 'AccessToken',
        id: 'at-1',
        payload,
        grantId: 'g1',
        uid: null,
        userCode: null,
        accountId: 'u1',
        clientId: 'client-1',
        expiresAt,
        consumedAt: null,
      });
      assert.equal(await store.oauthArtefacts.find('RefreshToken', 'at-1'), undefined);
      assert.equal(await store.oauthArtefacts.find('AccessToken', 'at-2'), undefined);
    });

    it('upsert replaces the whole artefact but keeps its consumption', async (t) => {
      const store = await h.open(t);
      await store.oauthArtefacts.upsert('AuthorizationCode', 'c1', {
        payload: { a: 1 },
        grantId: 'g1',
        accountId: 'u1',
        clientId: 'client-1',
        expiresAt: new Date(Date.now() + hour),
      });
      const consumedAt = new Date('2026-06-06T06:06:06.006Z');
      await store.oauthArtefacts.consume('AuthorizationCode', 'c1', consumedAt);
      await store.oauthArtefacts.upsert('AuthorizationCode', 'c1', { payload: { b: 2 } });
      assert.deepEqual(await store.oauthArtefacts.find('AuthorizationCode', 'c1'), {
        model: 'AuthorizationCode',
        id: 'c1',
        payload: { b: 2 },
        grantId: null,
        uid: null,
        userCode: null,
        accountId: null,
        clientId: null,
        expiresAt: null,
        consumedAt,
      });
    });

    it('findByUid and findByUserCode look up within one model', async (t) => {
      const store = await h.open(t);
      await store.oauthArtefacts.upsert('Session', 's1', { payload: {}, uid: 'uid-1' });
      await store.oauthArtefacts.upsert('DeviceCode', 'd1', { payload: {}, userCode: 'ABCD-EFGH' });
      assert.equal((await store.oauthArtefacts.findByUid('Session', 'uid-1'))?.id, 's1');
      assert.equal(await store.oauthArtefacts.findByUid('Interaction', 'uid-1'), undefined);
      assert.equal(await store.oauthArtefacts.findByUid('Session', 'uid-2'), undefined);
      assert.equal(
        (await store.oauthArtefacts.findByUserCode('DeviceCode', 'ABCD-EFGH'))?.id,
        'd1',
      );
      assert.equal(await store.oauthArtefacts.findByUserCode('DeviceCode', 'abcd-efgh'), undefined);
      assert.equal(await store.oauthArtefacts.findByUserCode('Session', 'ABCD-EFGH'), undefined);
    });

    it('consume keeps the first time, under concurrency too', async (t) => {
      const store = await h.open(t);
      await store.oauthArtefacts.upsert('RefreshToken', 'r1', { payload: {} });
      const first = new Date('2026-07-07T07:07:07.007Z');
      await store.oauthArtefacts.consume('RefreshToken', 'r1', first);
      await Promise.all([
        store.oauthArtefacts.consume('RefreshToken', 'r1', new Date('2027-01-01T00:00:00.000Z')),
        store.oauthArtefacts.consume('RefreshToken', 'r1', new Date('2028-01-01T00:00:00.000Z')),
      ]);
      const stored = await store.oauthArtefacts.find('RefreshToken', 'r1');
      assert.equal(stored?.consumedAt?.getTime(), first.getTime());
      await store.oauthArtefacts.consume('RefreshToken', 'unknown', first);
      assert.equal(await store.oauthArtefacts.find('RefreshToken', 'unknown'), undefined);
    });

    it('destroy removes one artefact; revokeByGrantId every model of that grant', async (t) => {
      const store = await h.open(t);
      for (const [model, id, grantId] of [
        ['Grant', 'g1', 'g1'],
        ['AccessToken', 'at-1', 'g1'],
        ['RefreshToken', 'rt-1', 'g1'],
        ['AuthorizationCode', 'code-1', 'g1'],
        ['AccessToken', 'at-2', 'g2'],
        ['Session', 's1', null],
      ] as const) {
        await store.oauthArtefacts.upsert(model, id, { payload: { id }, grantId });
      }
      await store.oauthArtefacts.destroy('Session', 's1');
      await store.oauthArtefacts.destroy('Session', 'unknown');
      assert.equal(await store.oauthArtefacts.find('Session', 's1'), undefined);
      await store.oauthArtefacts.revokeByGrantId('g1');
      for (const [model, id] of [
        ['Grant', 'g1'],
        ['AccessToken', 'at-1'],
        ['RefreshToken', 'rt-1'],
        ['AuthorizationCode', 'code-1'],
      ] as const) {
        assert.equal(await store.oauthArtefacts.find(model, id), undefined, `${model} ${id}`);
      }
      assert.ok(await store.oauthArtefacts.find('AccessToken', 'at-2'));
      await store.oauthArtefacts.revokeByGrantId('unknown');
    });

    it("listByAccount returns one account's unexpired artefacts of one model, newest first", async (t) => {
      const store = await h.open(t);
      const now = new Date();
      const grant = (id: string, accountId: string, expiresAt: Date | null) =>
        store.oauthArtefacts.upsert('Grant', id, { payload: { id }, accountId, expiresAt });
      await grant('old', 'u1', new Date(now.getTime() + hour));
      await sleep(2);
      await grant('forever', 'u1', null);
      await sleep(2);
      await grant('new', 'u1', new Date(now.getTime() + 2 * hour));
      await grant('expired', 'u1', new Date(now.getTime() - 1));
      await grant('expiring-now', 'u1', now);
      await grant('other-account', 'u2', null);
      await store.oauthArtefacts.upsert('AccessToken', 'token', { payload: {}, accountId: 'u1' });
      const listed = await store.oauthArtefacts.listByAccount('Grant', 'u1', now);
      assert.deepEqual(
        listed.map((artefact) => artefact.id),
        ['new', 'forever', 'old'],
      );
      assert.deepEqual(await store.oauthArtefacts.listByAccount('Grant', 'u3', now), []);
    });

    it('listByModel returns every artefact of one model, expired ones too, by id', async (t) => {
      const store = await h.open(t);
      const past = new Date(Date.now() - 1000);
      await store.oauthArtefacts.upsert('Client', 'b', {
        payload: { client_id: 'b' },
        expiresAt: past,
      });
      await store.oauthArtefacts.upsert('Client', 'a', { payload: { client_id: 'a' } });
      await store.oauthArtefacts.upsert('Grant', 'c', { payload: {} });
      const listed = await store.oauthArtefacts.listByModel('Client');
      assert.deepEqual(
        listed.map((artefact) => [artefact.id, artefact.payload.client_id, artefact.expiresAt]),
        [
          ['a', 'a', null],
          ['b', 'b', past],
        ],
      );
      assert.deepEqual(await store.oauthArtefacts.listByModel('Session'), []);
    });

    it('removeExpired removes artefacts expired at `now` and counts them', async (t) => {
      const store = await h.open(t);
      const now = new Date();
      await store.oauthArtefacts.upsert('Session', 'a', { payload: {}, expiresAt: new Date(0) });
      await store.oauthArtefacts.upsert('Grant', 'b', { payload: {}, expiresAt: now });
      await store.oauthArtefacts.upsert('Grant', 'c', {
        payload: {},
        expiresAt: new Date(now.getTime() + hour),
      });
      await store.oauthArtefacts.upsert('Client', 'd', { payload: {} });
      assert.equal(await store.oauthArtefacts.removeExpired(now), 2);
      assert.equal(await store.oauthArtefacts.removeExpired(now), 0);
      assert.ok(await store.oauthArtefacts.find('Grant', 'c'));
      assert.ok(await store.oauthArtefacts.find('Client', 'd'));
    });
  });

  describe('signing keys', () => {
    it('insert round-trips, list is oldest first, retire sets retiredAt once', async (t) => {
      const store = await h.open(t);
      assert.deepEqual(await store.signingKeys.list(), []);
      const first = await store.signingKeys.insert({
        kid: 'k2',
        alg: 'ES256',
        sealedJwk: 'sealed-2',
      });
      await sleep(2);
      const second = await store.signingKeys.insert({
        kid: 'k1',
        alg: 'ES256',
        sealedJwk: 'sealed-1',
      });
      assert.equal(first.retiredAt, null);
      assert.ok(first.createdAt instanceof Date);
      assert.deepEqual(await store.signingKeys.list(), [first, second]);
      const at = new Date('2026-08-08T08:08:08.008Z');
      await store.signingKeys.retire('k2', at);
      await store.signingKeys.retire('k2', new Date('2027-01-01T00:00:00.000Z'));
      await store.signingKeys.retire('unknown', at);
      assert.deepEqual(await store.signingKeys.list(), [{ ...first, retiredAt: at }, second]);
    });

    it('reseal replaces the sealed key of one kid only', async (t) => {
      const store = await h.open(t);
      const k1 = await store.signingKeys.insert({ kid: 'k1', alg: 'ES256', sealedJwk: 'sealed-1' });
      const k2 = await store.signingKeys.insert({ kid: 'k2', alg: 'ES256', sealedJwk: 'sealed-2' });
      await store.signingKeys.reseal('k1', 'resealed-1');
      await store.signingKeys.reseal('unknown', 'x');
      assert.deepEqual(await store.signingKeys.list(), [{ ...k1, sealedJwk: 'resealed-1' }, k2]);
    });

    it('a duplicate kid is refused and changes nothing', async (t) => {
      const store = await h.open(t);
      await store.signingKeys.insert({ kid: 'k1', alg: 'ES256', sealedJwk: 'sealed-1' });
      await assert.rejects(
        store.signingKeys.insert({ kid: 'k1', alg: 'ES256', sealedJwk: 'other' }),
        isStoreErrorWith('conflict'),
      );
      assert.deepEqual(
        (await store.signingKeys.list()).map((key) => key.sealedJwk),
        ['sealed-1'],
      );
    });
  });
}
