import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TARGET_LENGTH, cleanRecord } from './record-hygiene.ts';
import type { RequestRecord } from './request-record.ts';

const record = (fields: Partial<RequestRecord>): RequestRecord =>
  ({
    method: 'tools/call',
    target: null,
    errorMessage: null,
    clientName: null,
    clientVersion: null,
    ...fields,
  }) as RequestRecord;

describe('cleanRecord', () => {
  it('cuts a long target to the bound with an ellipsis, never half a surrogate pair', () => {
    const r = record({ target: `${'a'.repeat(MAX_TARGET_LENGTH - 2)}😀${'b'.repeat(10)}` });
    cleanRecord(r);
    assert.equal(r.target!.length <= MAX_TARGET_LENGTH, true);
    assert.ok(r.target!.endsWith('…'));
    assert.doesNotMatch(r.target!, /[\ud800-\udbff]…$/);
  });

  it('writes control characters and line separators as \\u escapes', () => {
    const r = record({ method: 'a\nb\u2028c\u001b' });
    cleanRecord(r);
    assert.equal(r.method, 'a\\u000ab\\u2028c\\u001b');
  });

  it('masks userinfo, secret query values and bearer tokens in a URI and an error text', () => {
    const r = record({
      method: 'resources/read',
      target: 'https://bob:pw@host.test/cb?state=1&code=abc123&access_token=zz',
      errorMessage: 'upstream said: Bearer abcdefghijklmnop1234 at https://u:p@h.test/?token=t',
    });
    cleanRecord(r);
    assert.equal(r.target, 'https://host.test/cb?state=1&code=[redacted]&access_token=[redacted]');
    assert.equal(r.errorMessage, 'upstream said: [redacted] at https://h.test/?token=[redacted]');
  });

  it('is idempotent and leaves ordinary values as they are', () => {
    const r = record({ target: 'x'.repeat(5000), errorMessage: 'Tool not found' });
    cleanRecord(r);
    const once = { ...r };
    cleanRecord(r);
    assert.deepEqual(r, once);
    const plain = record({ target: 'test_simple_text' });
    cleanRecord(plain);
    assert.equal(plain.target, 'test_simple_text');
  });
});
