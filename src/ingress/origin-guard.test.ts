import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../shared/errors.ts';
import { createOriginGuard } from './origin-guard.ts';

const refused = (error: unknown) =>
  error instanceof GatewayError && error.code === 'origin_not_allowed' && error.status === 403;

describe('origin guard', () => {
  it('lets requests without Origin through, and the public origin', () => {
    const guard = createOriginGuard('https://gw.example.com', []);
    guard.check(undefined, 'gw.example.com');
    guard.check('https://gw.example.com', 'gw.example.com');
  });

  it('refuses other origins, opaque origins and foreign Host headers (DNS rebinding)', () => {
    const guard = createOriginGuard('http://127.0.0.1:8080', []);
    guard.check('http://localhost:6274', '127.0.0.1:8080');
    assert.throws(() => guard.check('https://evil.example', '127.0.0.1:8080'), refused);
    assert.throws(() => guard.check('null', '127.0.0.1:8080'), refused);
    assert.throws(() => guard.check(undefined, 'evil.example:8080'), refused);
  });

  it('allows configured origins and warns-worthy wildcard', () => {
    const guard = createOriginGuard('https://gw.example.com', ['https://app.example.com']);
    assert.equal(guard.allows('https://app.example.com'), true);
    assert.equal(guard.allows('http://localhost:3000'), false);
    assert.equal(createOriginGuard('https://gw.example.com', ['*']).isOpen, true);
  });
});
