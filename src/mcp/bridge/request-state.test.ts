import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSealedBox } from '../../session/sealed-box.ts';
import { createRequestStateSeal, requestDigest } from './request-state.ts';

const call = (args: unknown, extra: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0' as const,
  id: 1,
  method: 'tools/call',
  params: { name: 'deploy', arguments: args, ...extra },
});

describe('bridge request state', () => {
  const box = createSealedBox('k'.repeat(43));
  const seal = createRequestStateSeal(box, 60_000);
  const binding = {
    pid: 'key:1',
    ws: 'acme',
    srv: 'github',
    digest: requestDigest(call({ a: 1 })),
  };

  it('opens what it sealed for the same principal, server and request', () => {
    const token = seal.seal({ call: 'c1', round: 2 }, binding);
    assert.deepEqual(seal.open(token, binding), { call: 'c1', round: 2 });
  });

  it('refuses tampered state, another principal or server, another request, expired state', () => {
    const token = seal.seal({ call: 'c1', round: 1 }, binding);
    assert.equal(seal.open(`${token}-TAMPERED`, binding), undefined);
    assert.equal(seal.open(token, { ...binding, pid: 'key:2' }), undefined);
    assert.equal(seal.open(token, { ...binding, srv: 'linear' }), undefined);
    assert.equal(
      seal.open(token, { ...binding, digest: requestDigest(call({ a: 2 })) }),
      undefined,
    );
    const expired = createRequestStateSeal(box, -1).seal({ call: 'c1', round: 1 }, binding);
    assert.equal(seal.open(expired, binding), undefined);
  });

  it('never opens a token sealed for another purpose (a session id)', () => {
    assert.equal(
      seal.open(box.seal('mcp-session', { v: 1, call: 'c1', round: 1 }), binding),
      undefined,
    );
  });

  it('digests the request, not the round: _meta, inputResponses, requestState and key order do not count', () => {
    assert.equal(
      requestDigest(call({ a: 1, b: { c: 2, d: 3 } })),
      requestDigest(
        call(
          { b: { d: 3, c: 2 }, a: 1 },
          { _meta: { progressToken: 7 }, inputResponses: { x: {} }, requestState: 's' },
        ),
      ),
    );
    assert.notEqual(
      requestDigest(call({ a: 1 })),
      requestDigest({ ...call({ a: 1 }), method: 'prompts/get' }),
    );
  });

  it('digests a __proto__ key like any other: a later round cannot change what it carries', () => {
    // As JSON.parse gives it: an own key, which the upstream receives as sent.
    const parsed = (text: string) => JSON.parse(text) as Record<string, unknown>;
    const first = call(parsed('{"arguments":{"__proto__":{"path":"/tmp/a"}}}'));
    const second = call(parsed('{"arguments":{"__proto__":{"path":"/etc"}}}'));
    assert.notEqual(requestDigest(first), requestDigest(second));
    assert.notEqual(requestDigest(first), requestDigest(call({ arguments: {} })));
  });
});
