/**
 * Property: for any policy and any member, what the member is shown in a
 * list is exactly what the member may use (issue 6, "Done when"). Policies,
 * members, upstream catalogues and pins are generated from seeds; the real
 * policy interceptor answers both the list and every call.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JsonObject, JsonRpcRequest, JsonRpcResponse } from '../mcp/json-rpc.ts';
import { createPolicyInterceptor } from './policy-interceptor.ts';
import { createPolicyView, notePin } from './policy-view.ts';
import type { PinState } from './policy-view.ts';
import type { ServerPolicy } from './server-policy-schema.ts';
import type { InterceptContext } from '../mcp/intercept/interceptor.ts';
import {
  chance,
  randomMember,
  randomPolicy,
  seededRandom,
} from '../../test/support/random-policy.ts';
import { toolHash } from './tool-pinning.ts';

const USERS = ['u1', 'u2', 'u3'];
const TOOLS = ['echo', 'add', 'read_file', 'write_file', 'search', 'delete'];
const PROMPTS = ['greet', 'summarize', 'review'];
const RESOURCES = ['test://a', 'test://b', 'file:///etc/x', 'file:///srv/y'];
const TEMPLATES = ['file:///{path}', 'test://{name}'];
const UNIVERSE = {
  tools: TOOLS,
  prompts: PROMPTS,
  resources: RESOURCES,
  templates: TEMPLATES,
  users: USERS,
};

function randomCatalogue(random: () => number) {
  const tools = TOOLS.filter(() => chance(random, 0.8)).map((name) => ({
    name,
    description: chance(random, 0.2) ? `changed ${name}` : `About ${name}`,
    inputSchema: { type: 'object' },
  }));
  return {
    tools,
    prompts: PROMPTS.filter(() => chance(random, 0.8)).map((name) => ({ name })),
    resources: RESOURCES.filter(() => chance(random, 0.8)).map((uri) => ({ uri, name: uri })),
  };
}

function randomPins(random: () => number, policy: ServerPolicy): Map<string, PinState> {
  const pins = new Map<string, PinState>();
  if (!policy.pin_tools) return pins;
  for (const name of TOOLS) {
    if (!chance(random, 0.5)) continue;
    const approved = toolHash({
      name,
      description: `About ${name}`,
      inputSchema: { type: 'object' },
    });
    pins.set(name, { approvedHash: approved, seenHash: approved, blocked: chance(random, 0.15) });
  }
  return pins;
}

const context = {} as InterceptContext;

function request(id: number, method: string, params: JsonObject = {}): JsonRpcRequest {
  return { jsonrpc: '2.0', id, method, params };
}

function ok(id: number, result: JsonObject): JsonRpcResponse {
  return { jsonrpc: '2.0', id, result };
}

async function checkSeed(seed: number): Promise<void> {
  const random = seededRandom(seed);
  const policy = randomPolicy(random, UNIVERSE);
  const member = randomMember(random, USERS);
  const catalogue = randomCatalogue(random);
  const pins = randomPins(random, policy);
  const view = createPolicyView(policy, member, pins);
  const interceptor = createPolicyInterceptor(view, {
    observeTool: (tool, hash) => void notePin(pins, tool, hash),
  });
  const where = `seed ${seed}: ${JSON.stringify({ policy, member })}`;

  // tools: the names listed are exactly the names whose call reaches an upstream tool.
  const list = request(1, 'tools/list');
  const listed = await interceptor.onResponse!(
    ok(1, { tools: catalogue.tools, nextCursor: 'c2' }),
    list,
    context,
  );
  assert.equal(listed.result?.nextCursor, 'c2', where);
  const shown = new Set((listed.result.tools as { name: string }[]).map((t) => t.name));
  const upstreamNames = new Set(catalogue.tools.map((t) => t.name));
  const candidates = new Set([...TOOLS, ...TOOLS.map((t) => `${t}_v2`), 'unknown']);
  const callable = new Set<string>();
  for (const name of candidates) {
    const verdict = await interceptor.onRequest!(
      request(2, 'tools/call', { name, arguments: {} }),
      context,
    );
    if (verdict.kind === 'answer') {
      assert.equal(verdict.message.error?.code, -32602, where);
      assert.equal(verdict.message.error?.message, `Tool ${name} not found`, where);
      continue;
    }
    // Forwarded: the upstream answers it only if it has that tool.
    if (upstreamNames.has(verdict.message.params!.name as string)) callable.add(name);
  }
  assert.deepEqual([...shown].sort(), [...callable].sort(), `tools, ${where}`);
  assert.equal(
    shown.size,
    (listed.result.tools as unknown[]).length,
    `no duplicate names, ${where}`,
  );

  // prompts
  const prompts = await interceptor.onResponse!(
    ok(3, { prompts: catalogue.prompts }),
    request(3, 'prompts/list'),
    context,
  );
  const shownPrompts = (prompts.result!.prompts as { name: string }[]).map((p) => p.name).sort();
  const gettable: string[] = [];
  for (const { name } of catalogue.prompts) {
    const verdict = await interceptor.onRequest!(request(4, 'prompts/get', { name }), context);
    if (verdict.kind === 'forward') gettable.push(name);
  }
  assert.deepEqual(shownPrompts, gettable.sort(), `prompts, ${where}`);

  // resources: listed, readable and subscribable agree
  const resources = await interceptor.onResponse!(
    ok(5, { resources: catalogue.resources }),
    request(5, 'resources/list'),
    context,
  );
  const shownResources = (resources.result!.resources as { uri: string }[])
    .map((r) => r.uri)
    .sort();
  const readable: string[] = [];
  for (const { uri } of catalogue.resources) {
    const read = await interceptor.onRequest!(request(6, 'resources/read', { uri }), context);
    const subscribe = await interceptor.onRequest!(
      request(7, 'resources/subscribe', { uri }),
      context,
    );
    // Hidden: reads fail as for an unknown URI; subscriptions succeed as SDK servers answer any URI.
    assert.equal(read.kind, subscribe.kind, where);
    if (subscribe.kind === 'answer') assert.deepEqual(subscribe.message.result, {}, where);
    if (read.kind === 'forward') readable.push(uri);
  }
  assert.deepEqual(shownResources, readable.sort(), `resources, ${where}`);
}

describe('policy property', () => {
  it('for 2,000 random policies and members, what is listed is exactly what is usable', async () => {
    for (let seed = 1; seed <= 2000; seed++) await checkSeed(seed);
  });
});
