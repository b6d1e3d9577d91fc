import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer } from '../../../test/fixtures/fixture-server/http.ts';
import type { RunningFixtureServer } from '../../../test/fixtures/fixture-server/http.ts';
import { META } from '../../session/protocol-version.ts';
import type { ServerDefinition } from '../../store/model.ts';
import type { RequestRecord } from '../../telemetry/request-record.ts';
import { createAddressGuard } from '../../upstream/ssrf-guard.ts';
import { createStreamableHttpUpstream } from '../../upstream/streamable-http.ts';
import type { StreamedMessage, Upstream, UpstreamCall } from '../../upstream/upstream.ts';
import type { JsonRpcRequest, JsonRpcResponse } from '../json-rpc.ts';
import { isAskId, openAsking, pendingAsks, settleAsk } from './client-asks.ts';
import { interceptUpstream } from './intercept-upstream.ts';
import type { InterceptContext, Interceptor } from './interceptor.ts';

function context(era: 'legacy' | 'modern'): InterceptContext {
  return {
    server: { workspaceId: 'acme', id: 'fixture', name: 'Fixture' } as ServerDefinition,
    principal: {
      kind: 'api_key',
      id: 'key-1',
      userId: 'u1',
      workspaceId: 'acme',
      apiKeyId: 'key-1',
      clientId: null,
    },
    record: {} as RequestRecord,
    era,
    clientCapabilities: { elicitation: {} },
  };
}

/** Asks the client before every tools/call and refuses unless it accepts. */
const asker: Interceptor = {
  name: 'asker',
  asks: true,
  async onRequest(message, ctx) {
    if (message.method !== 'tools/call') return { kind: 'forward', message };
    if (ctx.ask === undefined)
      return {
        kind: 'answer',
        message: { jsonrpc: '2.0', id: message.id, error: { code: -1, message: 'cannot ask' } },
      };
    const answer = await ctx.ask(
      { method: 'elicitation/create', params: { message: 'ok?' } },
      5_000,
    );
    if (answer.result?.action === 'accept') return { kind: 'forward', message };
    return {
      kind: 'answer',
      message: { jsonrpc: '2.0', id: message.id, error: { code: -2, message: 'declined' } },
    };
  },
};

describe('client asks', () => {
  it('ignores answers that are not to a pending ask', () => {
    assert.equal(settleAsk({ jsonrpc: '2.0', id: 'portcullis-ask-nope', result: {} }), false);
    assert.equal(settleAsk({ jsonrpc: '2.0', id: 7, result: {} }), false);
    assert.equal(isAskId('portcullis-ask-x'), true);
    assert.equal(isAskId(3), false);
  });

  it('queues each ask, resolves it with the settled answer, and times out unanswered ones', async () => {
    const asking = openAsking(context('legacy'));
    assert.equal(asking.context.era, 'legacy', 'the lazy context is inherited');
    const answered = asking.context.ask!({ method: 'elicitation/create' }, 5_000);
    await asking.firstAsk;
    const late = asking.context.ask!({ method: 'roots/list' }, 20);
    const seen: JsonRpcRequest[] = [];
    const reading = (async () => {
      for await (const request of asking.requests) seen.push(request);
    })();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      seen.map((request) => request.method),
      ['elicitation/create', 'roots/list'],
    );
    assert.equal(
      settleAsk({ jsonrpc: '2.0', id: seen[0]!.id, result: { action: 'accept' } }),
      true,
    );
    assert.deepEqual((await answered).result, { action: 'accept' });
    assert.equal((await late).error?.code, -32001);
    assert.equal(settleAsk({ jsonrpc: '2.0', id: seen[1]!.id, result: {} }), false, 'timed out');
    asking.close();
    await reading;
    assert.equal(pendingAsks(), 0);
  });
});

describe('asks through the decorator (real fixture upstream, legacy session)', () => {
  let fixture: RunningFixtureServer;
  let upstream: Upstream;
  let call: UpstreamCall;

  before(async () => {
    fixture = await startFixtureServer({ era: 'dual' });
    upstream = createStreamableHttpUpstream(
      'acme/fixture',
      fixture.url,
      createAddressGuard(['127.0.0.0/8']),
    );
    const init = await upstream.post(
      {
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'test', version: '1' },
        },
      },
      { timeoutMs: 5_000 },
    );
    assert.ok(init.kind === 'json' || init.kind === 'stream');
    if (init.kind === 'stream') for await (const _ of init.messages) break;
    call = {
      sessionId: init.sessionId ?? null,
      protocolVersion: '2025-11-25',
      timeoutMs: 5_000,
    };
    await upstream.post({ jsonrpc: '2.0', method: 'notifications/initialized' }, call);
  });
  after(async () => {
    await upstream.close();
    await fixture.close();
  });

  async function askedCall(answer: JsonRpcResponse['result']) {
    const decorated = interceptUpstream(upstream, [asker], context('legacy'));
    const outcome = await decorated.post(
      { jsonrpc: '2.0', id: 41, method: 'tools/call', params: { name: 'test_simple_text' } },
      call,
    );
    assert.equal(outcome.kind, 'stream');
    if (outcome.kind !== 'stream') return [];
    const iterator = outcome.messages[Symbol.asyncIterator]();
    const first = (await iterator.next()).value as StreamedMessage;
    const ask = first.message as JsonRpcRequest;
    assert.equal(ask.method, 'elicitation/create');
    assert.ok(isAskId(ask.id));
    // The client's answer arrives in another POST, through another decorated upstream.
    const other = interceptUpstream(upstream, [asker], context('legacy'));
    const accepted = await other.post({ jsonrpc: '2.0', id: ask.id, result: answer }, call);
    assert.equal(accepted.kind, 'accepted');
    const rest: JsonRpcResponse[] = [];
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) break;
      if (next.value.message !== null) rest.push(next.value.message as JsonRpcResponse);
    }
    return rest;
  }

  it('sends the ask first, then forwards the call once the client accepts', async () => {
    const rest = await askedCall({ action: 'accept' });
    const final = rest.at(-1)!;
    assert.equal(final.id, 41);
    assert.ok(final.result !== undefined, JSON.stringify(final));
  });

  it('answers with the refusal, without calling the upstream, when the client declines', async () => {
    const rest = await askedCall({ action: 'decline' });
    assert.deepEqual(rest, [{ jsonrpc: '2.0', id: 41, error: { code: -2, message: 'declined' } }]);
  });

  it('offers no ask to an interceptor that does not declare it asks', async () => {
    const silent: Interceptor = { ...asker, asks: false };
    const decorated = interceptUpstream(upstream, [silent], context('legacy'));
    const outcome = await decorated.post(
      { jsonrpc: '2.0', id: 43, method: 'tools/call', params: { name: 'test_simple_text' } },
      call,
    );
    assert.equal(outcome.kind, 'json');
    assert.deepEqual(outcome.kind === 'json' ? outcome.message : undefined, {
      jsonrpc: '2.0',
      id: 43,
      error: { code: -1, message: 'cannot ask' },
    });
  });

  it('offers no ask to a call in the 2026-07-28 shape', async () => {
    const decorated = interceptUpstream(upstream, [asker], context('modern'));
    const outcome = await decorated.post(
      {
        jsonrpc: '2.0',
        id: 42,
        method: 'tools/call',
        params: {
          name: 'test_simple_text',
          _meta: { [META.protocolVersion]: '2026-07-28' },
        },
      },
      call,
    );
    assert.equal(outcome.kind, 'json');
    if (outcome.kind === 'json')
      assert.equal((outcome.message as JsonRpcResponse).error?.message, 'cannot ask');
  });
});
