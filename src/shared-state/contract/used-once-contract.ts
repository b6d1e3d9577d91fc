import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SharedStateFixture } from './shared-state-fixture.ts';

export function usedOnceContract(fixture: SharedStateFixture): void {
  describe(`used-once ids (${fixture.kind})`, { skip: fixture.skip }, () => {
    it('refuses an empty id, marking nothing', async () => {
      const [a] = await fixture.pair();
      await assert.rejects(a.usedOnce.use('', Date.now() + 5_000), RangeError);
    });

    it('allows the first use and refuses a second on either instance', async () => {
      const [a, b] = await fixture.pair();
      const until = Date.now() + 5_000;
      assert.equal(await a.usedOnce.use('state-1', until), true);
      assert.equal(await a.usedOnce.use('state-1', until), false);
      assert.equal(await b.usedOnce.use('state-1', until), false);
    });

    it('lets exactly one of many concurrent uses on two instances through', async () => {
      const [a, b] = await fixture.pair();
      const until = Date.now() + 5_000;
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).usedOnce.use('race', until)),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });

    it('refuses an id whose lifetime is already over, without remembering it', async () => {
      const [a] = await fixture.pair();
      assert.equal(await a.usedOnce.use('late', Date.now() - 1), false);
      assert.equal(await a.usedOnce.use('late', Date.now() + 5_000), true);
    });

    it('forgets an id once its lifetime ends', async () => {
      const [a, b] = await fixture.pair();
      assert.equal(await a.usedOnce.use('short', Date.now() + 60), true);
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.equal(await b.usedOnce.use('short', Date.now() + 5_000), true);
    });

    it('keeps ids apart', async () => {
      const [a, b] = await fixture.pair();
      const until = Date.now() + 5_000;
      assert.equal(await a.usedOnce.use('one', until), true);
      assert.equal(await b.usedOnce.use('two', until), true);
    });
  });
}
