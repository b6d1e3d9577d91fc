import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  clientRequestScope,
  fromClientRequestId,
  fromUpstreamId,
  toClientRequestId,
  toUpstreamId,
} from './id-mapping.ts';

describe('id mapping', () => {
  it('maps numeric and string ids to the upstream and back, keeping their type', () => {
    for (const id of [0, 42, -3, 1.5, 'abc', 'with.dots', '', '7']) {
      assert.deepEqual(fromUpstreamId('tagA', toUpstreamId('tagA', id)), id);
    }
  });

  it('refuses ids minted for another session and values that are not gateway ids', () => {
    assert.equal(fromUpstreamId('tagB', toUpstreamId('tagA', 1)), undefined);
    assert.equal(fromUpstreamId('tagA', 1), undefined);
    assert.equal(fromUpstreamId('tagA', 'tagA.x1'), undefined);
    assert.equal(fromUpstreamId('tagA', 'tagA.n'), undefined);
  });

  it('gives server-to-client requests their own namespace', () => {
    assert.deepEqual(fromClientRequestId(toClientRequestId(5)), 5);
    assert.deepEqual(fromClientRequestId(toClientRequestId('e-1')), 'e-1');
    assert.equal(fromClientRequestId('5'), undefined);
    assert.equal(fromClientRequestId(toUpstreamId('t', 5)), undefined);
  });

  it('carries the scope of a server-to-client request in its id, and keeps unscoped ids working', () => {
    for (const id of [0, 7, 'e-1', 'with.dots', ''] as const) {
      const scoped = toClientRequestId(id, 'AbC_-9');
      assert.deepEqual(fromClientRequestId(scoped), id);
      assert.equal(clientRequestScope(scoped), 'AbC_-9');
      assert.equal(clientRequestScope(toClientRequestId(id)), undefined);
    }
    assert.equal(clientRequestScope('pc-s2c.u.n5'), undefined);
    assert.equal(fromClientRequestId('pc-s2c.u.n5'), undefined);
    assert.equal(fromClientRequestId('pc-s2c.uAbC'), undefined);
    assert.equal(clientRequestScope(5), undefined);
    assert.throws(() => toClientRequestId(1, 'has.dot'));
  });
});
