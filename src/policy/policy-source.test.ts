import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import pino from 'pino';
import type { Principal } from '../auth/resource/principal.ts';
import { createMemberAccess } from '../auth/resource/member-access.ts';
import type { InterceptContext } from '../mcp/intercept/interceptor.ts';
import type { JsonRpcResponse } from '../mcp/json-rpc.ts';
import { createStore } from '../store/create-store.ts';
import type { Store } from '../store/store.ts';
import { createPolicyNotices } from './policy-notices.ts';
import type { ListKind } from './policy-notices.ts';
import { createPolicySource } from './policy-source.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-policy-source-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

async function setUp(t: TestContext) {
  const store: Store = await createStore({
    kind: 'sqlite',
    file: path.join(dir, `s${++counter}.db`),
  });
  await store.migrate();
  t.after(() => store.close());
  await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
  const user = await store.users.upsert({ email: 'dev@acme.test' });
  await store.members.upsert({ workspaceId: 'acme', userId: user.id, role: 'viewer' });
  const server = await store.servers.upsert({
    workspaceId: 'acme',
    id: 'fixture',
    name: 'Fixture',
    transport: 'http',
    url: 'http://127.0.0.1:9/mcp',
    timeoutMs: 1000,
  });
  const principal: Principal = {
    kind: 'api_key',
    id: 'k1',
    userId: user.id,
    workspaceId: 'acme',
    apiKeyId: 'k1',
    clientId: null,
  };
  let clock = 0;
  const notices = createPolicyNotices();
  const source = createPolicySource({
    store,
    members: createMemberAccess(store),
    notices,
    log: pino({ level: 'silent' }),
    ttlMs: 1000,
    now: () => clock,
  });
  const heard: ListKind[][] = [];
  notices.watch('acme/fixture', (kinds) => heard.push([...kinds]));
  return {
    store,
    server,
    principal,
    source,
    heard,
    tick: (ms: number) => (clock += ms),
  };
}

const context = {} as InterceptContext;
const toolsList = { jsonrpc: '2.0', id: 1, method: 'tools/list' } as const;
const listOf = (description: string): JsonRpcResponse => ({
  jsonrpc: '2.0',
  id: 1,
  result: { tools: [{ name: 'echo', description }, { name: 'add' }] },
});

describe('policy source', () => {
  it('a server without a policy gets only the list_changed watcher', async (t) => {
    const { server, principal, source } = await setUp(t);
    const interceptors = await source.interceptorsFor(server, principal);
    assert.equal(interceptors.length, 1);
    const [watcher] = interceptors;
    assert.deepEqual(Object.keys(watcher!).sort(), ['name', 'watch']);
  });

  it("applies the member's role, and a change made here at the next request", async (t) => {
    const { store, server, principal, source, heard } = await setUp(t);
    await store.serverPolicies.save({
      workspaceId: 'acme',
      serverId: 'fixture',
      document: { tools: { add: { roles: { viewer: false } } } },
      updatedBy: null,
    });
    const [policy] = await source.interceptorsFor(server, principal);
    const listed = await policy!.onResponse!(listOf('Echoes'), toolsList, context);
    assert.deepEqual(
      (listed.result!.tools as { name: string }[]).map((tool) => tool.name),
      ['echo'],
    );
    await store.serverPolicies.save({
      workspaceId: 'acme',
      serverId: 'fixture',
      document: {},
      updatedBy: null,
    });
    source.changed('acme', 'fixture');
    assert.deepEqual(heard, [['tools', 'resources', 'prompts']]);
    const [open] = await source.interceptorsFor(server, principal);
    const all = await open!.onResponse!(listOf('Echoes'), toolsList, context);
    assert.equal((all.result!.tools as unknown[]).length, 2);
  });

  it('picks up a change made elsewhere after the TTL and tells connected clients', async (t) => {
    const { store, server, principal, source, heard, tick } = await setUp(t);
    await source.interceptorsFor(server, principal);
    await store.serverPolicies.save({
      workspaceId: 'acme',
      serverId: 'fixture',
      document: { mode: 'allowlist' },
      updatedBy: null,
    });
    tick(500);
    assert.equal((await source.interceptorsFor(server, principal)).length, 1);
    tick(600);
    const [policy] = await source.interceptorsFor(server, principal);
    assert.ok('onResponse' in policy!);
    assert.equal(heard.length, 1);
    assert.equal((await source.securityOf(server)) ?? null, null);
  });

  it('refresh re-reads watched servers after the TTL, so their clients hear of changes made elsewhere', async (t) => {
    const { store, server, principal, source, heard, tick } = await setUp(t);
    await source.interceptorsFor(server, principal);
    await store.serverPolicies.save({
      workspaceId: 'acme',
      serverId: 'fixture',
      document: { mode: 'allowlist' },
      updatedBy: null,
    });
    await source.refresh();
    assert.equal(heard.length, 0);
    tick(1500);
    await source.refresh();
    assert.deepEqual(heard, [['tools', 'resources', 'prompts']]);
    assert.equal((await source.current(server))?.mode, 'allowlist');
  });

  it('quarantines a pinned tool whose definition changed, and tells clients', async (t) => {
    const { store, server, principal, source, heard } = await setUp(t);
    await store.serverPolicies.save({
      workspaceId: 'acme',
      serverId: 'fixture',
      document: { pin_tools: true },
      updatedBy: null,
    });
    const [policy] = await source.interceptorsFor(server, principal);
    await policy!.onResponse!(listOf('Echoes'), toolsList, context);
    const changed = await policy!.onResponse!(listOf('Now steals secrets'), toolsList, context);
    assert.deepEqual(
      (changed.result!.tools as { name: string }[]).map((tool) => tool.name),
      ['add'],
    );
    assert.deepEqual(heard, [['tools']]);
    const refused = await policy!.onRequest!(
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo' } },
      context,
    );
    assert.equal(refused.kind, 'answer');
    // The store learns both definitions (written in the background).
    await new Promise((resolve) => setTimeout(resolve, 50));
    const pin = await store.toolPins.find('acme', 'fixture', 'echo');
    assert.notEqual(pin?.approvedHash, pin?.seenHash);
  });
});

describe('policy source on the hot path', () => {
  const save = (store: Store, document: Record<string, unknown>) =>
    store.serverPolicies.save({
      workspaceId: 'acme',
      serverId: 'fixture',
      document,
      updatedBy: null,
    });

  it('answers synchronously, with the same interceptor, while the policy and membership are cached', async (t) => {
    const { store, server, principal, source } = await setUp(t);
    await save(store, { tools: { add: { roles: { viewer: false } } } });
    const [first] = await source.interceptorsFor(server, principal);
    const again = source.interceptorsFor(server, principal);
    assert.ok(!(again instanceof Promise));
    assert.equal(again[0], first);
    const current = source.current(server);
    assert.ok(!(current instanceof Promise));
    assert.deepEqual(current?.tools.add?.roles, { viewer: false });
  });

  it('keeps the parsed document of an unchanged version after the TTL, and parses a new one', async (t) => {
    const { store, server, source, tick } = await setUp(t);
    await save(store, {
      security: { tools: { add: { argument_constraints: { '*': { type: 'object' } } } } },
    });
    const first = await source.current(server);
    tick(1000);
    const reread = await source.current(server);
    assert.equal(reread, first);
    await save(store, { tools: { add: { enabled: false } } });
    tick(1000);
    const changed = await source.current(server);
    assert.notEqual(changed, first);
    assert.equal(changed?.tools.add?.enabled, false);
  });
});
