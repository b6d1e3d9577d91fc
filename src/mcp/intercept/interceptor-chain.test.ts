import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonRpcRequest, JsonRpcResponse } from '../json-rpc.ts';
import type { InterceptContext, Interceptor } from './interceptor.ts';
import { passRequest, passResponse } from './interceptor-chain.ts';

const context = {} as InterceptContext;
const request: JsonRpcRequest = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: {} };
const answer = (text: string): JsonRpcResponse => ({ jsonrpc: '2.0', id: 7, result: { text } });

/** An interceptor that notes its hooks in `log`, answering now or a tick later. */
function noting(name: string, log: string[], isAsync: boolean, timeoutMs?: number): Interceptor {
  const later = <T>(value: T): T | Promise<T> =>
    isAsync ? new Promise((resolve) => setImmediate(() => resolve(value))) : value;
  return {
    name,
    onRequest(message) {
      log.push(`request ${name} ${message.method}`);
      return later({
        kind: 'forward',
        message: { ...message, method: `${message.method}+${name}` },
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      });
    },
    onResponse(response, seen) {
      log.push(`response ${name} ${seen.method}`);
      const text = String((response.result as { text: string }).text);
      return later({ ...response, result: { text: `${text}<${name}` } });
    },
  };
}

describe('interceptor chain', () => {
  it('answers without a promise when every hook answers synchronously', () => {
    const log: string[] = [];
    const chain = [noting('a', log, false), noting('b', log, false, 500)];
    const passage = passRequest(chain, request, context);
    assert.equal(passage instanceof Promise, false);
    if (passage instanceof Promise) return;
    assert.deepEqual(passage.outcome.message.method, 'tools/call+a+b');
    assert.equal(passage.timeoutMs, 500);
    const response = passResponse(chain, passage, answer('up'), context);
    assert.deepEqual(response, answer('up<b<a'));
  });

  it('keeps the order, what each saw and the smallest timeout when some hooks are async', async () => {
    const log: string[] = [];
    const chain = [
      noting('a', log, false, 900),
      noting('b', log, true, 300),
      noting('c', log, false, 600),
    ];
    const passed = passRequest(chain, request, context);
    assert.ok(passed instanceof Promise);
    const passage = await passed;
    assert.deepEqual(
      passage.seen.map((seen) => seen.method),
      ['tools/call', 'tools/call+a', 'tools/call+a+b'],
    );
    assert.equal(passage.timeoutMs, 300);
    const response = await passResponse(chain, passage, answer('up'), context);
    assert.deepEqual(response, answer('up<c<b<a'));
    assert.deepEqual(log, [
      'request a tools/call',
      'request b tools/call+a',
      'request c tools/call+a+b',
      'response c tools/call+a+b',
      'response b tools/call+a',
      'response a tools/call',
    ]);
  });

  it('stops at an async answer, gives it the request id and shows it to the earlier hooks only', async () => {
    const log: string[] = [];
    const refuse: Interceptor = {
      name: 'refuse',
      onRequest: async () => ({ kind: 'answer', message: { ...answer('no'), id: 'other' } }),
      onResponse: () => assert.fail('an interceptor never sees its own answer'),
    };
    const chain = [noting('a', log, false), refuse, noting('c', log, false)];
    const passage = await passRequest(chain, request, context);
    assert.equal(passage.outcome.kind, 'answer');
    assert.equal(passage.outcome.message.id, 7);
    const response = passResponse(chain, passage, passage.outcome.message, context);
    assert.deepEqual(response, answer('no<a'));
    assert.deepEqual(log, ['request a tools/call', 'response a tools/call']);
  });

  it('rejects with the error an async hook rejects with', async () => {
    const failing: Interceptor = {
      name: 'failing',
      onRequest: () => Promise.reject(new Error('source down')),
    };
    await assert.rejects(async () => passRequest([failing], request, context), /source down/);
  });
});
