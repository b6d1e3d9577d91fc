import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../shared/errors.ts';
import { createArgumentValidator, narrowInputSchema } from './argument-constraints.ts';

const constraint = {
  properties: { path: { type: 'string', pattern: '^/srv/public/' }, note: { maxLength: 5 } },
};

describe('argument constraints', () => {
  it('refuses arguments outside the constraint with invalid_params naming each violation', () => {
    const validator = createArgumentValidator();
    assert.throws(
      () => validator.check('write', { path: '/etc/passwd', note: 'too long' }, constraint),
      (error: unknown) => {
        assert.ok(error instanceof GatewayError);
        assert.equal(error.code, 'invalid_params');
        assert.equal(error.rpcCode, -32602);
        assert.match(error.message, /"write"/);
        assert.match(error.message, /arguments\.path must match pattern/);
        assert.match(error.message, /arguments\.note must NOT have more than 5 characters/);
        assert.equal((error.data?.issues as unknown[]).length, 2);
        return true;
      },
    );
  });

  it('accepts arguments within the constraint, and absent arguments as {}', () => {
    const validator = createArgumentValidator();
    validator.check('write', { path: '/srv/public/a.txt', note: 'ok' }, constraint);
    validator.check('write', undefined, constraint);
    assert.throws(() => validator.check('write', undefined, { required: ['path'] }), GatewayError);
  });

  it('narrows a schema by adding the constraint to allOf, keeping the upstream schema', () => {
    const upstream = {
      type: 'object',
      properties: { path: { type: 'string' } },
      allOf: [{ required: ['path'] }],
    };
    assert.deepEqual(narrowInputSchema(upstream, constraint), {
      ...upstream,
      allOf: [{ required: ['path'] }, constraint],
    });
    assert.deepEqual(narrowInputSchema(undefined, constraint), {
      type: 'object',
      allOf: [constraint],
    });
  });
});
