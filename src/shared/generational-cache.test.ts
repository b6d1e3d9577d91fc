import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GenerationalCache } from './generational-cache.ts';

test('holds at most its capacity and forgets the oldest generation first', () => {
  const cache = new GenerationalCache<number, string>(4);
  for (let i = 0; i < 4; i++) cache.set(i, `v${i}`);
  assert.equal(cache.size, 4);
  cache.set(4, 'v4');
  assert.equal(cache.size, 3);
  assert.equal(cache.get(0), undefined);
  assert.equal(cache.get(1), undefined);
  assert.deepEqual(
    [2, 3, 4].map((i) => cache.get(i)),
    ['v2', 'v3', 'v4'],
  );
  for (let i = 0; i < 1000; i++) {
    cache.set(100 + i, 'x');
    assert.ok(cache.size <= 4);
  }
});

test('an entry read from the old generation survives the next rotation', () => {
  const cache = new GenerationalCache<string, number>(4);
  cache.set('kept', 1);
  cache.set('dropped', 2);
  cache.set('a', 3); // rotation: kept and dropped are old
  assert.equal(cache.get('kept'), 1); // back to young, next to a
  cache.set('b', 4); // rotation: a and kept are old, dropped is gone
  assert.equal(cache.get('dropped'), undefined);
  assert.equal(cache.get('kept'), 1);
  assert.equal(cache.get('a'), 3);
});

test('set replaces, delete and clear remove, in either generation', () => {
  const cache = new GenerationalCache<string, number>(4);
  cache.set('a', 1);
  cache.set('b', 2);
  cache.set('c', 3); // a and b are old
  cache.set('a', 10);
  assert.equal(cache.get('a'), 10);
  assert.equal(cache.size, 3);
  assert.equal(cache.delete('b'), true);
  assert.equal(cache.delete('c'), true);
  assert.equal(cache.delete('missing'), false);
  assert.equal(cache.get('b'), undefined);
  cache.clear();
  assert.equal(cache.size, 0);
  assert.equal(cache.get('a'), undefined);
});

test('deleteWhere removes the matching entries of both generations', () => {
  const cache = new GenerationalCache<string, { grant: string }>(4);
  cache.set('a', { grant: 'g1' });
  cache.set('b', { grant: 'g2' });
  cache.set('c', { grant: 'g1' }); // a and b are old
  cache.deleteWhere((value) => value.grant === 'g1');
  assert.equal(cache.get('a'), undefined);
  assert.equal(cache.get('c'), undefined);
  assert.deepEqual(cache.get('b'), { grant: 'g2' });
  assert.equal(cache.size, 1);
});
