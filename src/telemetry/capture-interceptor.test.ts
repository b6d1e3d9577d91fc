import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InterceptContext, Interceptor } from '../mcp/intercept/interceptor.ts';
import type { JsonRpcRequest } from '../mcp/json-rpc.ts';
import type { ServerDefinition } from '../store/model.ts';
import { requestRecord } from '../store/contract/contract-support.ts';
import { createCaptureInterceptors } from './capture-interceptor.ts';
import type { CaptureSettings } from './capture-settings.ts';
import { createRedactor } from './redaction.ts';

const redact = createRedactor({ maxBytes: 4096 });

function server(capture?: CaptureSettings): ServerDefinition {
  return {
    workspaceId: 'acme',
    id: 'fixture',
    ...(capture ? { capture } : {}),
  } as ServerDefinition;
}

function contextFor(srv: ServerDefinition, method: string): InterceptContext {
  return {
    server: srv,
    principal: {
      kind: 'api_key',
      id: 'k',
      userId: 'u',
      workspaceId: 'acme',
      apiKeyId: 'k',
      clientId: null,
    },
    record: requestRecord({ method }),
    era: 'legacy',
    clientCapabilities: undefined,
  };
}

const call = (id: number, args: unknown): JsonRpcRequest => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'echo', arguments: args as never, _meta: { progressToken: 1 } },
});

describe('capture interceptor', () => {
  const source = createCaptureInterceptors(redact);

  it('gives no interceptor to servers in metadata or off mode, or without settings', () => {
    assert.deepEqual(source.interceptorsFor(server(), {} as never), []);
    assert.deepEqual(
      source.interceptorsFor(server({ mode: 'metadata', masks: [] }), {} as never),
      [],
    );
    assert.deepEqual(source.interceptorsFor(server({ mode: 'off', masks: [] }), {} as never), []);
  });

  it('captures redacted arguments and the result of the recorded request, unchanged in flight', async () => {
    const srv = server({ mode: 'full', masks: ['result.content[*].secretNote'] });
    const [capture] = source.interceptorsFor(srv, {} as never) as [never];
    const interceptor = capture as Required<Interceptor>;
    const context = contextFor(srv, 'tools/call');
    const request = call(7, { city: 'Paris', api_key: 'sk-live-123' });
    const verdict = await interceptor.onRequest(request, context);
    assert.deepEqual(verdict, { kind: 'forward', message: request });
    assert.deepEqual(request.params?.arguments, { city: 'Paris', api_key: 'sk-live-123' });
    const response = {
      jsonrpc: '2.0' as const,
      id: 7,
      result: { content: [{ type: 'text', text: 'sunny', secretNote: 'x' }] },
    };
    assert.equal(await interceptor.onResponse(response, request, context), response);
    assert.equal(context.record.arguments, '{"city":"Paris","api_key":"[redacted]"}');
    assert.equal(
      context.record.result,
      '{"content":[{"type":"text","text":"sunny","secretNote":"[redacted]"}]}',
    );
  });

  it('ignores requests the gateway sends on its own (era probes, upstream initialize)', async () => {
    const srv = server({ mode: 'full', masks: [] });
    const [interceptor] = source.interceptorsFor(srv, {} as never) as [Required<Interceptor>];
    const context = contextFor(srv, 'tools/call');
    const probe: JsonRpcRequest = { jsonrpc: '2.0', id: 1, method: 'server/discover', params: {} };
    await interceptor.onRequest(probe, context);
    await interceptor.onResponse({ jsonrpc: '2.0', id: 1, result: { x: 1 } }, probe, context);
    assert.equal(context.record.arguments, null);
    assert.equal(context.record.result, null);
    const real = call(2, { a: 1 });
    await interceptor.onRequest(real, context);
    await interceptor.onResponse(
      { jsonrpc: '2.0', id: 2, error: { code: -32602, message: 'Unknown tool' } },
      real,
      context,
    );
    assert.equal(context.record.arguments, '{"a":1}');
    assert.equal(context.record.result, '{"error":{"code":-32602,"message":"Unknown tool"}}');
  });

  it('captures params without _meta for methods other than tools/call and prompts/get', async () => {
    const srv = server({ mode: 'full', masks: [] });
    const [interceptor] = source.interceptorsFor(srv, {} as never) as [Required<Interceptor>];
    const context = contextFor(srv, 'resources/read');
    await interceptor.onRequest(
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'resources/read',
        params: { uri: 'file:///a', _meta: { traceparent: 'x' } },
      },
      context,
    );
    assert.equal(context.record.arguments, '{"uri":"file:///a"}');
  });
});
