import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, type SharedStateFixture } from './shared-state-fixture.ts';

export function noticeBusContract(fixture: SharedStateFixture): void {
  describe(`notice bus (${fixture.kind})`, { skip: fixture.skip }, () => {
    it('delivers a notice to subscribers on every instance, the publisher included', async () => {
      const [a, b] = await fixture.pair();
      const onA: string[] = [];
      const onB: string[] = [];
      await a.notices.subscribe('changes', (payload) => onA.push(payload));
      await b.notices.subscribe('changes', (payload) => onB.push(payload));
      await a.notices.publish('changes', 'one');
      await a.notices.publish('changes', 'two');
      assert.ok(await eventually(() => onA.length === 2 && onB.length === 2));
      assert.deepEqual(onA, ['one', 'two']);
      assert.deepEqual(onB, ['one', 'two'], 'in publication order');
    });

    it('keeps channels apart and stops delivering after unsubscribing', async () => {
      const [a, b] = await fixture.pair();
      const got: string[] = [];
      const kept: string[] = [];
      const stop = await b.notices.subscribe('first', (payload) => got.push(payload));
      await b.notices.subscribe('first', (payload) => kept.push(payload));
      await a.notices.publish('second', 'elsewhere');
      await a.notices.publish('first', 'before');
      assert.ok(await eventually(() => got.length === 1 && kept.length === 1));
      await stop();
      await a.notices.publish('first', 'after');
      assert.ok(await eventually(() => kept.length === 2));
      assert.deepEqual(got, ['before'], 'the stopped handler heard nothing more');
      assert.deepEqual(kept, ['before', 'after'], 'the other handler on the channel stays');
    });

    it('a handler that throws does not stop the others', async () => {
      const [a, b] = await fixture.pair();
      const got: string[] = [];
      await b.notices.subscribe('boom', () => {
        throw new Error('handler failed');
      });
      await b.notices.subscribe('boom', (payload) => got.push(payload));
      await a.notices.publish('boom', 'x');
      await a.notices.publish('boom', 'y');
      assert.ok(await eventually(() => got.length === 2));
    });

    it('carries any text payload unchanged', async () => {
      const [a, b] = await fixture.pair();
      const got: string[] = [];
      await b.notices.subscribe('text', (payload) => got.push(payload));
      const payload = JSON.stringify({ key: 'acme/github', kinds: ['tools'], note: 'é ✓ \n' });
      await a.notices.publish('text', payload);
      await a.notices.publish('text', '');
      assert.ok(await eventually(() => got.length === 2));
      assert.deepEqual(got, [payload, '']);
    });
  });
}
