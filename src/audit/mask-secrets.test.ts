import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createVault } from '../auth/upstream-credentials/vault.ts';
import { SECRET_MASK, toAuditJson } from './mask-secrets.ts';

const vault = createVault({ secretKey: 'mask-secrets-test-key-of-enough-length' });

describe('toAuditJson', () => {
  it('masks fields named like secrets at any depth, keeping null and empty ones', () => {
    const masked = toAuditJson({
      email: 'a@acme.test',
      passwordHash: 'scrypt$abc',
      keyHash: 'deadbeef',
      tokenHash: 'cafe',
      nested: [{ clientSecret: 'x', authorization: 'Basic y', refresh_token: 'z', name: 'ok' }],
      env: { API_KEY: 'plain', DEBUG: '1' },
      headers: { 'X-Api-Key': 'k' },
      none: { passwordHash: null, secret: '' },
    });
    assert.deepEqual(masked, {
      email: 'a@acme.test',
      passwordHash: SECRET_MASK,
      keyHash: SECRET_MASK,
      tokenHash: SECRET_MASK,
      nested: [
        {
          clientSecret: SECRET_MASK,
          authorization: SECRET_MASK,
          refresh_token: SECRET_MASK,
          name: 'ok',
        },
      ],
      env: { API_KEY: SECRET_MASK, DEBUG: '1' },
      headers: { 'X-Api-Key': SECRET_MASK },
      none: { passwordHash: null, secret: '' },
    });
  });

  it('masks values shaped like secrets whatever their field: sealed values, API keys, JWTs, bearer tokens', () => {
    const sealed = vault.seal('server-env', 'hunter2');
    const masked = toAuditJson({
      env: { SOMETHING: sealed },
      list: ['pcl_abcdef', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig', 'Bearer abc', 'plain'],
    });
    assert.deepEqual(masked, {
      env: { SOMETHING: SECRET_MASK },
      list: [SECRET_MASK, SECRET_MASK, SECRET_MASK, 'plain'],
    });
    assert.ok(!JSON.stringify(masked).includes(sealed));
  });

  it('turns dates into ISO strings, drops undefined fields, and maps undefined to null', () => {
    assert.deepEqual(
      toAuditJson({ at: new Date('2026-01-01T00:00:00.000Z'), gone: undefined, n: 1 }),
      { at: '2026-01-01T00:00:00.000Z', n: 1 },
    );
    assert.equal(toAuditJson(undefined), null);
    assert.equal(toAuditJson(null), null);
  });
});
