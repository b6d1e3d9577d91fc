import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createVault, isSealedValue, VaultError } from './vault.ts';

const OLD = 'old-secret-key-0123456789abcdefghijklmnopqrstuv';
const NEW = 'new-secret-key-0123456789abcdefghijklmnopqrstuv';

/** Flips one character of part `index` of a sealed value, keeping the base64url alphabet. */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const part = parts[index]!;
  const at = Math.floor(part.length / 2);
  const swapped = part[at] === 'A' ? 'B' : 'A';
  parts[index] = part.slice(0, at) + swapped + part.slice(at + 1);
  return parts.join('.');
}

describe('vault', () => {
  it('opens what it sealed, for the same purpose', () => {
    const vault = createVault({ secretKey: NEW });
    const sealed = vault.seal('server-env', 'hunter2 ünïcode');
    assert.ok(isSealedValue(sealed));
    assert.ok(!sealed.includes('hunter2'));
    assert.equal(vault.open('server-env', sealed), 'hunter2 ünïcode');
    assert.equal(vault.open('server-env', vault.seal('server-env', '')), '');
  });

  it('seals the same plaintext differently every time, under its key id in clear', () => {
    const vault = createVault({ secretKey: NEW });
    const a = vault.seal('p', 'same');
    const b = vault.seal('p', 'same');
    assert.notEqual(a, b);
    assert.equal(a.split('.')[0], 'pcv1');
    assert.equal(a.split('.')[1], vault.keyId);
    assert.equal(vault.keyId.length, 12);
  });

  it('refuses a value sealed for another purpose', () => {
    const vault = createVault({ secretKey: NEW });
    const sealed = vault.seal('server-env', 'x');
    assert.throws(() => vault.open('server-header', sealed), VaultError);
  });

  it('refuses a value with any part tampered', () => {
    const vault = createVault({ secretKey: NEW });
    const sealed = vault.seal('p', 'secret value');
    for (const index of [2, 3, 4])
      assert.throws(() => vault.open('p', tamper(sealed, index)), VaultError, `part ${index}`);
    // Another key id is an unknown key; another version is not a sealed value.
    assert.throws(() => vault.open('p', tamper(sealed, 1)), VaultError);
    assert.throws(() => vault.open('p', sealed.replace(/^pcv1/, 'pcv2')), VaultError);
    assert.throws(() => vault.open('p', sealed.slice(0, -4)), VaultError);
    assert.throws(() => vault.open('p', 'plaintext'), VaultError);
  });

  it('refuses a value moved between parts of two sealed values', () => {
    const vault = createVault({ secretKey: NEW });
    const a = vault.seal('p', 'alpha').split('.');
    const b = vault.seal('p', 'bravo').split('.');
    const mixed = [...a.slice(0, 3), ...b.slice(3)].join('.');
    assert.throws(() => vault.open('p', mixed), VaultError);
  });

  it('refuses a value sealed under a key it does not know, naming the key id only', () => {
    const sealed = createVault({ secretKey: OLD }).seal('p', 'secret value');
    const vault = createVault({ secretKey: NEW });
    assert.throws(
      () => vault.open('p', sealed),
      (error: unknown) =>
        error instanceof VaultError &&
        error.message.includes(sealed.split('.')[1]!) &&
        !error.message.includes('secret value'),
    );
  });

  it('opens values sealed under a previous key and reports them stale', () => {
    const old = createVault({ secretKey: OLD });
    const sealed = old.seal('p', 'kept');
    const vault = createVault({ secretKey: NEW, previousSecretKeys: [OLD] });
    assert.equal(vault.open('p', sealed), 'kept');
    assert.equal(vault.isStale(sealed), true);
    const resealed = vault.seal('p', 'kept');
    assert.equal(vault.isStale(resealed), false);
    assert.equal(old.isStale(resealed), true);
    assert.throws(() => old.open('p', resealed), VaultError);
  });

  it('refuses to judge the staleness of something that is not a sealed value', () => {
    assert.throws(() => createVault({ secretKey: NEW }).isStale('plain'), VaultError);
  });
});
