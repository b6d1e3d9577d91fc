import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, verifyPassword } from './password-hash.ts';

describe('password hash', () => {
  it('produces a scrypt PHC string with the default OWASP parameters', async () => {
    const phc = await hashPassword('correct horse battery staple');
    assert.match(phc, /^\$scrypt\$ln=15,r=8,p=3\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(await verifyPassword('correct horse battery staple', phc), true);
  });

  it('salts every hash and refuses a wrong password', async () => {
    const a = await hashPassword('secret', 10);
    const b = await hashPassword('secret', 10);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('Secret', a), false);
  });

  it('verifies with the parameters stored in the hash', async () => {
    const phc = await hashPassword('secret', 11);
    assert.match(phc, /^\$scrypt\$ln=11,/);
    assert.equal(await verifyPassword('secret', phc), true);
  });

  it('treats anything that is not a scrypt PHC string as a mismatch', async () => {
    assert.equal(await verifyPassword('secret', ''), false);
    assert.equal(await verifyPassword('secret', '$argon2id$v=19$m=65536,t=3,p=4$abc$def'), false);
    assert.equal(await verifyPassword('secret', '$scrypt$ln=40,r=8,p=1$YWJj$ZGVm'), false);
  });
});
