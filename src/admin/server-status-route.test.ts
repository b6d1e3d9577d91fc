import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StdioState } from '../upstream/stdio-supervisor.ts';
import { call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';

const STATUS = (serverId: string) => `/api/v1/workspaces/acme/servers/${serverId}/status`;

describe('server status route', () => {
  let t: AdminTestApp;
  const states = new Map<string, StdioState>();
  const asked: string[] = [];

  before(async () => {
    t = await startAdminTestApp({
      serverStatus: (key) => {
        asked.push(key);
        return states.get(key);
      },
    });
    for (const id of ['local', 'crashy', 'cold'])
      await t.store.servers.upsert({
        workspaceId: 'acme',
        id,
        name: id,
        transport: 'stdio',
        command: process.execPath,
        args: [],
        env: {},
        timeoutMs: 1000,
      });
    states.set('acme/local', {
      running: true,
      // This test's own process: a pid whose memory is certainly readable.
      pid: process.pid,
      restarts: 2,
      consecutiveCrashes: 0,
      lastError: 'The stdio server exited with code 1.',
      backoffMs: 0,
    });
    states.set('acme/crashy', {
      running: false,
      pid: undefined,
      restarts: 5,
      consecutiveCrashes: 3,
      lastError: 'spawn ENOENT',
      backoffMs: 4000,
    });
  });
  after(() => t.close());

  it('answers a null process for an http server without asking for a process state', async () => {
    asked.length = 0;
    const response = await call(t, 'GET', STATUS('github'), t.bearer('member'));
    assert.equal(response.status, 200);
    assert.deepEqual(response.json(), { transport: 'http', process: null });
    assert.deepEqual(asked, []);
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  it("maps a running stdio server's state, with its resident memory", async () => {
    const response = await call(t, 'GET', STATUS('local'), t.bearer('viewer'));
    assert.equal(response.status, 200);
    const { transport, process: running } = response.json();
    assert.equal(transport, 'stdio');
    const { memory_rss_bytes: memory, ...rest } = running;
    assert.deepEqual(rest, {
      state: 'running',
      pid: process.pid,
      restarts: 2,
      last_error: 'The stdio server exited with code 1.',
      backoff_ms: 0,
    });
    if (process.platform === 'linux') assert.ok(memory > 1024 * 1024, String(memory));
    else assert.equal(memory, null);
  });

  it('shows a crashing stdio server as backing off, with no pid and no memory', async () => {
    const response = await call(t, 'GET', STATUS('crashy'), t.bearer('owner'));
    assert.equal(response.status, 200);
    assert.deepEqual(response.json().process, {
      state: 'backing_off',
      pid: null,
      restarts: 5,
      last_error: 'spawn ENOENT',
      backoff_ms: 4000,
      memory_rss_bytes: null,
    });
  });

  it('answers a null process for a stdio server this instance has not set up', async () => {
    asked.length = 0;
    const response = await call(t, 'GET', STATUS('cold'), t.bearer('admin'));
    assert.equal(response.status, 200);
    assert.deepEqual(response.json(), { transport: 'stdio', process: null });
    assert.deepEqual(asked, ['acme/cold']);
  });

  it('answers 404 to callers who may not reach the server, as for an unknown one', async () => {
    for (const [url, headers] of [
      [STATUS('local'), t.bearer('member')],
      [STATUS('local'), t.bearer('outsider')],
      [STATUS('missing'), t.bearer('owner')],
      ['/api/v1/workspaces/nowhere/servers/local/status', t.bearer('owner')],
    ] as const) {
      const response = await call(t, 'GET', url, headers);
      assert.equal(response.status, 404, `${url} ${JSON.stringify(response.json())}`);
    }
    const response = await call(t, 'GET', STATUS('missing'), t.bearer('owner'));
    assert.equal(response.json().error, 'server_not_found');
  });

  it('refuses a request without credentials', async () => {
    const response = await call(t, 'GET', STATUS('local'), {});
    assert.equal(response.status, 401);
  });
});
