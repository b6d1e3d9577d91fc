import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InterceptContext } from '../mcp/intercept/interceptor.ts';
import type { JsonObject, JsonRpcRequest, JsonRpcResponse } from '../mcp/json-rpc.ts';
import { createPolicyInterceptor } from './policy-interceptor.ts';
import { createPolicyView } from './policy-view.ts';
import { serverPolicySchema } from './server-policy-schema.ts';
import type { ServerPolicyInput } from './server-policy-schema.ts';

const context = {} as InterceptContext;
const member = { userId: 'u1', role: 'member' as const };

function interceptorFor(input: ServerPolicyInput) {
  const seen: string[] = [];
  const interceptor = createPolicyInterceptor(
    createPolicyView(serverPolicySchema.parse(input), member),
    { observeTool: (name) => void seen.push(name) },
  );
  return { interceptor, seen };
}

const req = (method: string, params: JsonObject = {}): JsonRpcRequest => ({
  jsonrpc: '2.0',
  id: 9,
  method,
  params,
});
const ok = (result: JsonObject): JsonRpcResponse => ({ jsonrpc: '2.0', id: 9, result });

describe('policy interceptor', () => {
  it('presents a tool with its overrides, annotations merged, and keeps unknown fields', async () => {
    const { interceptor, seen } = interceptorFor({
      tools: {
        echo: {
          name: 'say',
          title: 'Say',
          description: 'Policy text',
          annotations: { readOnlyHint: true },
        },
      },
    });
    const listed = await interceptor.onResponse!(
      ok({
        tools: [
          {
            name: 'echo',
            description: 'Upstream text',
            annotations: { openWorldHint: false, readOnlyHint: false },
            'x-vendor': 1,
          },
        ],
        nextCursor: 'next',
        cacheScope: 'public',
        ttlMs: 5000,
      }),
      req('tools/list'),
      context,
    );
    assert.deepEqual(listed.result, {
      tools: [
        {
          name: 'say',
          title: 'Say',
          description: 'Policy text',
          annotations: { openWorldHint: false, readOnlyHint: true },
          'x-vendor': 1,
        },
      ],
      nextCursor: 'next',
      cacheScope: 'private',
      ttlMs: 5000,
    });
    assert.deepEqual(seen, ['echo']);
  });

  it('maps a renamed call back to the upstream name and keeps the rest of the request', async () => {
    const { interceptor } = interceptorFor({ tools: { echo: { name: 'say' } } });
    const verdict = await interceptor.onRequest!(
      req('tools/call', { name: 'say', arguments: { text: 'hi' }, _meta: { progressToken: 1 } }),
      context,
    );
    assert.equal(verdict.kind, 'forward');
    assert.deepEqual(verdict.message.params, {
      name: 'echo',
      arguments: { text: 'hi' },
      _meta: { progressToken: 1 },
    });
  });

  it('leaves errors and unknown methods to the upstream', async () => {
    const { interceptor } = interceptorFor({ mode: 'allowlist' });
    const error: JsonRpcResponse = { jsonrpc: '2.0', id: 9, error: { code: -1, message: 'x' } };
    assert.equal(await interceptor.onResponse!(error, req('tools/list'), context), error);
    for (const message of [req('ping'), req('completion/complete')])
      assert.equal((await interceptor.onRequest!(message, context)).kind, 'forward');
  });

  it('refuses names and URIs that are not strings (an upstream could coerce them to a hidden item)', async () => {
    const { interceptor } = interceptorFor({ tools: { secret: { enabled: false } } });
    for (const message of [
      req('tools/call', { name: ['secret'] }),
      req('tools/call', { name: 42 }),
      req('tools/call'),
      req('prompts/get', { name: ['secret'] }),
      req('resources/read', { uri: { href: 'test://hidden' } }),
      req('resources/subscribe'),
      req('completion/complete', { ref: { type: 'ref/prompt', name: ['secret'] } }),
      req('completion/complete', { ref: { type: 'ref/resource' } }),
    ]) {
      const verdict = await interceptor.onRequest!(message, context);
      assert.equal(verdict.kind, 'answer', JSON.stringify(message));
      assert.equal(verdict.kind === 'answer' && verdict.message.error?.code, -32602);
      assert.match(
        (verdict.kind === 'answer' && verdict.message.error?.message) || '',
        /^Invalid params: .+ needs a string /,
      );
    }
  });

  it('refuses completions for hidden prompts and templates, and drops their updates', async () => {
    const { interceptor } = interceptorFor({
      prompts: { secret: { enabled: false } },
      resource_templates: { 'file:///{path}': { enabled: false } },
      resources: { 'test://hidden': { enabled: false } },
    });
    const prompt = await interceptor.onRequest!(
      req('completion/complete', { ref: { type: 'ref/prompt', name: 'secret' } }),
      context,
    );
    assert.equal(
      prompt.kind === 'answer' && prompt.message.error?.message,
      'Prompt secret not found',
    );
    const template = await interceptor.onRequest!(
      req('completion/complete', { ref: { type: 'ref/resource', uri: 'file:///{path}' } }),
      context,
    );
    assert.equal(
      template.kind === 'answer' && template.message.error?.message,
      'Resource template file:///{path} not found',
    );
    // An SDK upstream completes a plain resource's URI too, which would tell a hidden one apart.
    const resource = await interceptor.onRequest!(
      req('completion/complete', { ref: { type: 'ref/resource', uri: 'test://hidden' } }),
      context,
    );
    assert.equal(
      resource.kind === 'answer' && resource.message.error?.message,
      'Resource template test://hidden not found',
    );
    const update = (uri: string) => ({
      jsonrpc: '2.0' as const,
      method: 'notifications/resources/updated',
      params: { uri },
    });
    assert.equal(interceptor.onServerMessage!(update('test://hidden'), context), undefined);
    assert.deepEqual(
      interceptor.onServerMessage!(update('test://shown'), context),
      update('test://shown'),
    );
  });

  it('filters templates and prompts lists by their own keys', async () => {
    const { interceptor } = interceptorFor({
      resource_templates: { 'a://{x}': { enabled: false } },
      prompts: { p1: { roles: { member: false } } },
    });
    const templates = await interceptor.onResponse!(
      ok({ resourceTemplates: [{ uriTemplate: 'a://{x}' }, { uriTemplate: 'b://{x}' }] }),
      req('resources/templates/list'),
      context,
    );
    assert.deepEqual(templates.result!.resourceTemplates, [{ uriTemplate: 'b://{x}' }]);
    const prompts = await interceptor.onResponse!(
      ok({ prompts: [{ name: 'p1' }, { name: 'p2' }, 'junk'] }),
      req('prompts/list'),
      context,
    );
    assert.deepEqual(prompts.result!.prompts, [{ name: 'p2' }]);
  });
});
