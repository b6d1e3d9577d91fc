import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../shared/errors.ts';
import { createAddressGuard } from './ssrf-guard.ts';

describe('address guard', () => {
  it('refuses private, loopback, link-local and metadata addresses by default', () => {
    const guard = createAddressGuard([]);
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
      '0.0.0.0',
      '100.64.0.1',
      '2002:7f00:1::1',
      '64:ff9b:1::a00:1',
      '::7f00:1',
      'fec0::1',
    ]) {
      assert.equal(guard.isAllowed(address), false, address);
      assert.throws(
        () => guard.check(address),
        (error: unknown) => error instanceof GatewayError && error.code === 'forbidden',
      );
    }
    assert.equal(guard.isAllowed('93.184.215.14'), true);
    assert.equal(guard.isAllowed('2606:4700::1111'), true);
    assert.equal(guard.opensPrivateRanges, false);
  });

  it('lets exactly the allowlisted ranges through', () => {
    const guard = createAddressGuard(['127.0.0.0/8', '::1']);
    assert.equal(guard.isAllowed('127.0.0.5'), true);
    assert.equal(guard.isAllowed('::1'), true);
    assert.equal(guard.isAllowed('10.0.0.1'), false);
    assert.equal(guard.isAllowed('169.254.169.254'), false);
    assert.equal(guard.opensPrivateRanges, true);
  });

  it('rejects a malformed allowlist entry at start-up', () => {
    assert.throws(() => createAddressGuard(['localhost']), /not an IP address/);
    assert.throws(() => createAddressGuard(['10.0.0.0/33']), /invalid prefix/);
  });

  it('refuses a host name that resolves only to blocked addresses', async () => {
    const guard = createAddressGuard([]);
    const error = await new Promise<unknown>((resolve) =>
      guard.lookup('localhost', {}, (err) => resolve(err)),
    );
    assert.ok(error instanceof GatewayError && error.code === 'forbidden');
  });
});
