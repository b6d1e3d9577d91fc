import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffJson, prettyJson } from './json-diff.ts';

describe('audit diffs', () => {
  it('names each changed, added and removed field with both values as JSON text', () => {
    const changes = diffJson(
      { name: 'GitHub', url: 'https://a.test', tags: ['x'] },
      { name: 'GitHub', url: 'https://b.test', timeoutMs: 5000 },
    );
    assert.deepEqual(changes, [
      { path: 'tags', kind: 'removed', before: '["x"]' },
      { path: 'timeoutMs', kind: 'added', after: '5000' },
      { path: 'url', kind: 'changed', before: '"https://a.test"', after: '"https://b.test"' },
    ]);
  });

  it('descends into objects and arrays on both sides, indexes in numeric order', () => {
    const before = { servers: Array.from({ length: 11 }, (_, i) => ({ id: `s${i}` })) };
    const after = structuredClone(before);
    after.servers[2]!.id = 'two';
    after.servers[10]!.id = 'ten';
    assert.deepEqual(
      diffJson(before, after).map((c) => c.path),
      ['servers.2.id', 'servers.10.id'],
    );
  });

  it('shows a field that changes kind as one change with its whole values', () => {
    assert.deepEqual(diffJson({ serverIds: null }, { serverIds: ['fixture'] }), [
      { path: 'serverIds', kind: 'changed', before: 'null', after: '["fixture"]' },
    ]);
  });

  it('treats a creation as every field added and a deletion as every field removed', () => {
    assert.deepEqual(diffJson(null, { a: 1 }), [{ path: 'a', kind: 'added', after: '1' }]);
    assert.deepEqual(diffJson({ a: { b: true } }, null), [
      { path: 'a', kind: 'removed', before: '{"b":true}' },
    ]);
    assert.deepEqual(diffJson(null, null), []);
    assert.deepEqual(diffJson({ a: [1] }, { a: [1] }), []);
  });

  it('keeps markup in values as text', () => {
    const [change] = diffJson({ d: 'a' }, { d: '<img src=x onerror=alert(1)>' });
    assert.equal(change!.after, '"<img src=x onerror=alert(1)>"');
  });

  it('pretty-prints values, and shows strings as they are', () => {
    assert.equal(prettyJson({ a: 1 }), '{\n  "a": 1\n}');
    assert.equal(prettyJson('plain text'), 'plain text');
    assert.equal(prettyJson(null), 'null');
  });
});
