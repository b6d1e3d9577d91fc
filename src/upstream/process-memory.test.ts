import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseVmRss, processMemoryRssBytes } from './process-memory.ts';

describe('process memory', () => {
  it('reads VmRSS in kB as bytes', () => {
    const status = 'Name:\tnode\nVmPeak:\t  200 kB\nVmRSS:\t   1672 kB\nThreads:\t1\n';
    assert.equal(parseVmRss(status), 1672 * 1024);
  });

  it('answers null when the status has no VmRSS line (kernel threads, zombies)', () => {
    assert.equal(parseVmRss('Name:\tkthreadd\nState:\tS (sleeping)\n'), null);
  });

  it('answers null for an impossible pid', async () => {
    for (const pid of [0, -1, 1.5, Number.NaN])
      assert.equal(await processMemoryRssBytes(pid), null);
  });

  it('measures a live child and answers null once it has exited', async (t) => {
    if (!existsSync('/proc/self/status')) return t.skip('no procfs on this platform');
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
    });
    await once(child, 'spawn');
    const pid = child.pid!;
    const rss = await processMemoryRssBytes(pid);
    assert.ok(rss !== null && rss > 1024 * 1024, String(rss));
    child.kill();
    await once(child, 'exit');
    assert.equal(await processMemoryRssBytes(pid), null);
  });
});
