import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pooledRandomBytes } from './random-pool.ts';

test('hands out each byte once, across refills, and never changes a slice', () => {
  const slices = Array.from({ length: 2000 }, () => pooledRandomBytes(12));
  const copies = slices.map((slice) => Buffer.from(slice));
  for (let i = 0; i < 1000; i++) pooledRandomBytes(12); // several refills later
  assert.ok(slices.every((slice, i) => slice.length === 12 && slice.equals(copies[i]!)));
  assert.equal(new Set(copies.map((copy) => copy.toString('hex'))).size, copies.length);
});

test('a request larger than the pool is served directly', () => {
  const big = pooledRandomBytes(10_000);
  assert.equal(big.length, 10_000);
  assert.notEqual(big.toString('hex'), Buffer.alloc(10_000).toString('hex'));
});
