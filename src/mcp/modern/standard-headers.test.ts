import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../shared/errors.ts';
import { decodeHeaderValue, validateStandardHeaders } from './standard-headers.ts';

const call = { jsonrpc: '2.0' as const, id: 1, method: 'tools/call', params: { name: 'héllo' } };
const isMismatch = (error: unknown) =>
  error instanceof GatewayError &&
  error.code === 'header_mismatch' &&
  error.rpcCode === -32020 &&
  error.status === 400;

describe('standard headers', () => {
  it('accepts matching headers, with the base64 sentinel for non-ASCII names', () => {
    const name = `=?base64?${Buffer.from('héllo').toString('base64')}?=`;
    validateStandardHeaders({ protocolVersion: '2026-07-28', method: 'tools/call', name }, call);
  });

  it('rejects a missing version, method or name header and a mismatched name', () => {
    assert.throws(
      () => validateStandardHeaders({ method: 'tools/call', name: 'héllo' }, call),
      isMismatch,
    );
    assert.throws(
      () => validateStandardHeaders({ protocolVersion: '2026-07-28', name: 'héllo' }, call),
      isMismatch,
    );
    assert.throws(
      () => validateStandardHeaders({ protocolVersion: '2026-07-28', method: 'tools/call' }, call),
      isMismatch,
    );
    assert.throws(
      () =>
        validateStandardHeaders(
          { protocolVersion: '2026-07-28', method: 'tools/call', name: 'other' },
          call,
        ),
      isMismatch,
    );
    assert.throws(
      () =>
        validateStandardHeaders(
          { protocolVersion: '2026-07-28', method: 'tools/call', name: '=?base64?***?=' },
          call,
        ),
      isMismatch,
    );
  });

  it('needs no name header for methods without a name', () => {
    validateStandardHeaders(
      { protocolVersion: '2026-07-28', method: 'tools/list' },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
    );
  });

  it('decodes only well-formed sentinels', () => {
    assert.equal(decodeHeaderValue('plain'), 'plain');
    assert.equal(decodeHeaderValue('=?base64?aGk=?='), 'hi');
    assert.equal(decodeHeaderValue('=?base64?a?='), undefined);
  });
});
