import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SharedStateFixture } from './shared-state-fixture.ts';

export function leasesContract(fixture: SharedStateFixture): void {
  describe(`leases (${fixture.kind})`, { skip: fixture.skip }, () => {
    it('refuses a non-positive or fractional ttl, taking nothing', async () => {
      const [a] = await fixture.pair();
      await assert.rejects(a.leases.acquire('k', 0), RangeError);
      await assert.rejects(a.leases.acquire('k', -5), RangeError);
      await assert.rejects(a.leases.acquire('k', 1.5), RangeError);
      assert.ok(await a.leases.acquire('k', 1_000), 'the key is still free');
    });

    it('gives a key to exactly one of many concurrent takers on two instances', async () => {
      const [a, b] = await fixture.pair();
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 === 0 ? a : b).leases.acquire('refresh', 5_000),
        ),
      );
      assert.equal(results.filter((release) => release !== undefined).length, 1);
    });

    it('frees the key on release, for a taker on the other instance', async () => {
      const [a, b] = await fixture.pair();
      const release = await a.leases.acquire('refresh', 5_000);
      assert.ok(release);
      assert.equal(await b.leases.acquire('refresh', 5_000), undefined);
      await release();
      assert.ok(await b.leases.acquire('refresh', 5_000));
    });

    it('frees the key at expiry when its holder never releases it', async () => {
      const [a, b] = await fixture.pair();
      assert.ok(await a.leases.acquire('dead-holder', 60));
      assert.equal(await b.leases.acquire('dead-holder', 60), undefined);
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.ok(await b.leases.acquire('dead-holder', 60));
    });

    it("a holder whose lease expired cannot release the next holder's", async () => {
      const [a, b] = await fixture.pair();
      const late = await a.leases.acquire('k', 50);
      assert.ok(late);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const next = await b.leases.acquire('k', 5_000);
      assert.ok(next);
      await late();
      assert.equal(await a.leases.acquire('k', 5_000), undefined, 'the next holder still has it');
      await next();
      await next();
      assert.ok(await a.leases.acquire('k', 5_000));
    });

    it('keeps keys apart', async () => {
      const [a, b] = await fixture.pair();
      assert.ok(await a.leases.acquire('one', 5_000));
      assert.ok(await b.leases.acquire('two', 5_000));
    });
  });
}
