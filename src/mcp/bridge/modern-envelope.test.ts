import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonRpcRequest } from '../json-rpc.ts';
import { legacyParams } from './modern-envelope.ts';

describe('modern envelope', () => {
  it('forwards the _meta keys of a 2026-07-28 request to a legacy upstream, __proto__ included', () => {
    // As JSON.parse gives it: `__proto__` is an own key of the client's _meta.
    const request = JSON.parse(
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","_meta":{' +
        '"io.modelcontextprotocol/protocolVersion":"2026-07-28",' +
        '"__proto__":{"trace":"t-1"},"progressToken":7}}}',
    ) as JsonRpcRequest;
    const params = legacyParams(request);
    assert.equal(
      JSON.stringify(params),
      '{"name":"x","_meta":{"__proto__":{"trace":"t-1"},"progressToken":7}}',
    );
  });
});
