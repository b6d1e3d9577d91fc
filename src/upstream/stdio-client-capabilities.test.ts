import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonRpcRequest } from '../mcp/json-rpc.ts';
import { capabilityMask, missingCapability } from './stdio-client-capabilities.ts';

const request = (method: string, params: object = {}): JsonRpcRequest => ({
  jsonrpc: '2.0',
  id: 1,
  method,
  params: { ...params },
});

describe('stdio client capabilities', () => {
  it('admits each server→client request only for a client that declared what it needs', () => {
    const none = capabilityMask({});
    const all = capabilityMask({
      sampling: { tools: {} },
      elicitation: { form: {}, url: {} },
      roots: {},
    });
    for (const method of ['sampling/createMessage', 'elicitation/create', 'roots/list']) {
      assert.ok(missingCapability(request(method), none) !== undefined, method);
      assert.equal(missingCapability(request(method), all), undefined, method);
    }
    assert.equal(missingCapability(request('ping'), none), undefined);
  });

  it('reads an empty elicitation capability as form mode only', () => {
    const mask = capabilityMask({ elicitation: {} });
    assert.equal(missingCapability(request('elicitation/create'), mask), undefined);
    assert.equal(
      missingCapability(request('elicitation/create', { mode: 'url' }), mask),
      'elicitation.url',
    );
    const urlOnly = capabilityMask({ elicitation: { url: {} } });
    assert.equal(missingCapability(request('elicitation/create'), urlOnly), 'elicitation.form');
  });

  it('needs sampling.tools for a sampling request that offers tools', () => {
    const mask = capabilityMask({ sampling: {} });
    assert.equal(missingCapability(request('sampling/createMessage'), mask), undefined);
    assert.equal(
      missingCapability(request('sampling/createMessage', { tools: [] }), mask),
      'sampling.tools',
    );
  });

  it('ignores malformed declarations', () => {
    assert.equal(capabilityMask(null), 0);
    assert.equal(capabilityMask({ sampling: true, roots: [] }), 0);
  });
});
