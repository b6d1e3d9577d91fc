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
