/**
 * Stopping stdio servers that resist, through a real gateway: a child that
 * ignores SIGTERM and stdin's end, and one whose grandchild holds the stdout
 * pipe open. After the server is removed through the admin API, and after
 * the gateway stops, no process the fixture started is left (PIDs from its
 * pid file, checked with signal 0).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startStdioHarness } from '../fixtures/hostile-stdio/harness.ts';
import { isAlive } from '../support/child-processes.ts';

async function allGone(pids: number[], withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(50);
    alive = alive.filter(isAlive);
  }
  return alive;
}

describe('stdio servers that resist being stopped', () => {
  const started: number[] = [];
  after(() => {
    for (const pid of started) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('leaves no child nor grandchild after the server is removed through the admin API', async () => {
    const harness = await startStdioHarness(['ignore-term', 'grandchild']);
    try {
      for (const server of ['ignore-term', 'grandchild']) {
        const { init } = await harness.open(server);
        assert.equal(init.status, 200, init.text);
        const pids = await harness.pids(server);
        started.push(...pids);
        assert.ok(pids.length >= 1 && pids.every(isAlive));
        const removed = await fetch(
          `${harness.gateway.url}/api/v1/workspaces/acme/servers/${server}`,
          { method: 'DELETE', headers: harness.auth },
        );
        assert.equal(removed.status, 204, await removed.text());
        // stdin closed, then SIGTERM and SIGKILL each after the 2 s grace.
        assert.deepEqual(await allGone(pids, 5_000), [], `${server}: still running`);
      }
    } finally {
      await harness.close();
    }
  });

  it('leaves no child nor grandchild after the gateway stops', async () => {
    const harness = await startStdioHarness(['ignore-term', 'grandchild']);
    let pids: number[];
    try {
      for (const server of ['ignore-term', 'grandchild']) {
        const { init } = await harness.open(server);
        assert.equal(init.status, 200, init.text);
      }
      pids = [...(await harness.pids('ignore-term')), ...(await harness.pids('grandchild'))];
      started.push(...pids);
      assert.equal(pids.length, 3);
    } finally {
      await harness.close();
    }
    assert.deepEqual(await allGone(pids, 500), [], 'still running after the gateway stopped');
  });
});
