import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../shared/errors.ts';
import type { ServerDefinition } from '../store/model.ts';
import { createAddressGuard } from './ssrf-guard.ts';
import { createUpstreamRegistry } from './upstream-registry.ts';

const definition = (overrides: Partial<ServerDefinition> = {}): ServerDefinition => ({
  workspaceId: 'acme',
  id: 'github',
  name: 'GitHub',
  transport: 'http',
  url: 'http://127.0.0.1:9/mcp',
  command: null,
  args: [],
  env: {},
  cwd: null,
  timeoutMs: 1000,
  upstreamAuth: { mode: 'none', forwardIdentity: false },
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...overrides,
});

describe('upstream registry', () => {
  it('keeps one upstream per server while its definition is the same, even as a new object after a reload', async () => {
    const registry = createUpstreamRegistry(createAddressGuard(['127.0.0.0/8']));
    const first = definition();
    const upstream = registry.get(first);
    assert.equal(registry.get(first), upstream);
    assert.equal(registry.get(definition()), upstream);
    assert.equal(registry.find('acme/github'), upstream);
    await registry.closeAll();
  });

  it('replaces the upstream when the definition changes', async () => {
    const registry = createUpstreamRegistry(createAddressGuard(['127.0.0.0/8']));
    const before = registry.get(definition());
    const after = registry.get(definition({ url: 'http://127.0.0.1:10/mcp' }));
    assert.notEqual(after, before);
    assert.equal(registry.find('acme/github'), after);
    await registry.closeAll();
  });

  it('closes and forgets the upstreams of servers no longer defined', async () => {
    const registry = createUpstreamRegistry(createAddressGuard(['127.0.0.0/8']));
    const kept = registry.get(definition());
    const removed = registry.get(definition({ id: 'linear' }));
    let closed = false;
    const close = removed.close.bind(removed);
    removed.close = () => {
      closed = true;
      return close();
    };
    await registry.retain([definition()]);
    assert.equal(closed, true);
    assert.equal(registry.find('acme/linear'), undefined);
    assert.equal(registry.find('acme/github'), kept);
    assert.notEqual(registry.get(definition({ id: 'linear' })), removed);
    await registry.closeAll();
  });

  it('gives the process state of stdio servers only, before any process starts too', async () => {
    const registry = createUpstreamRegistry(createAddressGuard(['127.0.0.0/8']));
    registry.get(definition());
    registry.get(
      definition({ id: 'local', transport: 'stdio', url: null, command: process.execPath }),
    );
    assert.equal(registry.stdioState('acme/github'), undefined);
    assert.equal(registry.stdioState('acme/missing'), undefined);
    const state = registry.stdioState('acme/local');
    assert.equal(state?.running, false);
    assert.equal(state?.pid, undefined);
    assert.equal(state?.restarts, 0);
    await registry.closeAll();
    assert.equal(registry.stdioState('acme/local'), undefined);
  });

  it('refuses an upstream address the SSRF guard does not allow', () => {
    const registry = createUpstreamRegistry(createAddressGuard([]));
    assert.throws(
      () => registry.get(definition()),
      (error: unknown) => error instanceof GatewayError && error.code === 'forbidden',
    );
  });
});

describe('upstream registry, servers with member secrets', () => {
  const perMember = (overrides: Partial<ServerDefinition> = {}) =>
    definition({
      id: 'local',
      transport: 'stdio',
      url: null,
      command: process.execPath,
      memberEnv: { TOKEN: { secret: 'token', description: null } },
      ...overrides,
    });

  it('gives each member their own upstream, kept while the definition is the same', async () => {
    const registry = createUpstreamRegistry(createAddressGuard([]), {
      memberEnv: async () => ({ TOKEN: 'x' }),
    });
    const ada = registry.get(perMember(), { userId: 'ada' });
    const bob = registry.get(perMember(), { userId: 'bob' });
    assert.notEqual(ada, bob);
    assert.equal(registry.get(perMember(), { userId: 'ada' }), ada);
    // Pending server→client requests are keyed by the server key: it stays the server's.
    assert.equal(ada.serverKey, 'acme/local');
    assert.equal(registry.find('acme/local'), undefined);
    assert.equal(registry.stdioState('acme/local'), undefined);
    assert.deepEqual(
      registry.memberStates('acme/local').map((entry) => [entry.userId, entry.state.running]),
      [
        ['ada', false],
        ['bob', false],
      ],
    );
    const changed = perMember({ args: ['--changed'] });
    assert.notEqual(registry.get(changed, { userId: 'ada' }), ada);
    await registry.closeAll();
    assert.deepEqual(registry.memberStates('acme/local'), []);
  });

  it('refuses a call with no member to run the process for', async () => {
    const registry = createUpstreamRegistry(createAddressGuard([]));
    assert.throws(
      () => registry.get(perMember()),
      (error: unknown) => error instanceof GatewayError && error.code === 'internal',
    );
    await registry.closeAll();
  });

  it('restartMember closes only that member’s upstream; the next call gets a new one', async () => {
    const registry = createUpstreamRegistry(createAddressGuard([]));
    const ada = registry.get(perMember(), { userId: 'ada' });
    const bob = registry.get(perMember(), { userId: 'bob' });
    await registry.restartMember('acme/local', 'ada');
    await registry.restartMember('acme/local', 'nobody');
    assert.notEqual(registry.get(perMember(), { userId: 'ada' }), ada);
    assert.equal(registry.get(perMember(), { userId: 'bob' }), bob);
    await registry.closeAll();
  });

  it('retain drops member upstreams of servers gone or no longer per member', async () => {
    const registry = createUpstreamRegistry(createAddressGuard([]));
    const ada = registry.get(perMember(), { userId: 'ada' });
    await registry.retain([perMember()]);
    assert.equal(registry.get(perMember(), { userId: 'ada' }), ada);
    await registry.retain([perMember({ memberEnv: {} })]);
    assert.deepEqual(registry.memberStates('acme/local'), []);
    assert.notEqual(registry.get(perMember(), { userId: 'ada' }), ada);
    await registry.retain([]);
    assert.deepEqual(registry.memberStates('acme/local'), []);
    await registry.closeAll();
  });
});
