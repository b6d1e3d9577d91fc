import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerDefinition } from '../../store/model.ts';
import type { RequestRecord } from '../../telemetry/request-record.ts';
import type { Upstream, UpstreamCall } from '../../upstream/upstream.ts';
import type { JsonRpcRequest } from '../json-rpc.ts';
import { interceptedUpstream, type InterceptedCall } from './intercept-context.ts';
import type { Interceptor, InterceptorSource } from './interceptor.ts';

const call: InterceptedCall = {
  server: { workspaceId: 'acme', id: 'fixture' } as ServerDefinition,
  principal: {
    kind: 'api_key',
    id: 'key-1',
    userId: 'u1',
    workspaceId: 'acme',
    apiKeyId: 'key-1',
    clientId: null,
  },
  record: { era: 'legacy' } as RequestRecord,
  request: { headers: {}, body: Buffer.alloc(0) } as never,
};

const REQUEST: JsonRpcRequest = {
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'echo', arguments: {} },
};

const upstream: Upstream = {
  serverKey: 'acme/fixture',
  post: (message) =>
    Promise.resolve({
      kind: 'json',
      status: 200,
      sessionId: undefined,
      message: { jsonrpc: '2.0', id: (message as JsonRpcRequest).id, result: { content: [] } },
      bytes: 0,
    }),
  listen: () => Promise.resolve(null),
  terminate: () => Promise.resolve(),
  forward: () => Promise.reject(new Error('not used')),
  close: () => Promise.resolve(),
};

const CALL: UpstreamCall = { sessionId: 's1', protocolVersion: '2025-11-25', timeoutMs: 5000 };

/** An interceptor that notes, in `order`, that it saw the request. */
function noting(name: string, order: string[]): Interceptor {
  return {
    name,
    onRequest(message) {
      order.push(name);
      return { kind: 'forward', message };
    },
  };
}

function source(interceptors: readonly Interceptor[], isAsync = false): InterceptorSource {
  return {
    interceptorsFor: () => (isAsync ? Promise.resolve(interceptors) : interceptors),
  };
}

describe('interceptedUpstream', () => {
  it('returns the upstream itself, not a promise, when every source answers at once with nothing', () => {
    const result = interceptedUpstream(upstream, [source([]), source([])], call, {} as never);
    assert.equal(result, upstream);
  });

  it('returns the decorated upstream at once when every source answers at once', async () => {
    const order: string[] = [];
    const result = interceptedUpstream(
      upstream,
      [source([noting('a', order)]), source([noting('b', order)])],
      call,
      {} as never,
    );
    assert.ok(!(result instanceof Promise));
    assert.notEqual(result, upstream);
    await result.post(REQUEST, CALL);
    assert.deepEqual(order, ['a', 'b']);
  });

  it('waits for a source that has to read, and keeps the sources in their order', async () => {
    const order: string[] = [];
    const asked: string[] = [];
    const tracked = (name: string, interceptors: readonly Interceptor[], isAsync: boolean) => ({
      interceptorsFor: () => {
        asked.push(name);
        return isAsync ? Promise.resolve(interceptors) : interceptors;
      },
    });
    const result = interceptedUpstream(
      upstream,
      [
        tracked('first', [noting('a', order)], false),
        tracked('second', [noting('b', order)], true),
        tracked('third', [noting('c', order)], false),
      ],
      call,
      {} as never,
    );
    assert.ok(result instanceof Promise);
    // The sources after the one awaited are asked only once it answered, as before.
    assert.deepEqual(asked, ['first', 'second']);
    const decorated = await result;
    assert.deepEqual(asked, ['first', 'second', 'third']);
    await decorated.post(REQUEST, CALL);
    assert.deepEqual(order, ['a', 'b', 'c']);
  });

  it('leaves the upstream undecorated when an awaited source gives nothing either', async () => {
    const result = interceptedUpstream(upstream, [source([]), source([], true)], call, {} as never);
    assert.ok(result instanceof Promise);
    assert.equal(await result, upstream);
  });

  it('rejects with the error of a source that fails, without asking the sources after it', async () => {
    let askedAfter = false;
    const result = interceptedUpstream(
      upstream,
      [
        { interceptorsFor: () => Promise.reject(new Error('store unavailable')) },
        {
          interceptorsFor: () => {
            askedAfter = true;
            return [];
          },
        },
      ],
      call,
      {} as never,
    );
    await assert.rejects(Promise.resolve(result), /store unavailable/);
    assert.equal(askedAfter, false);
  });
});
