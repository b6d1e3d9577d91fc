import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { it } from 'node:test';

const reaper = fileURLToPath(new URL('./child-reaper.ts', import.meta.url));
const hostileChild = fileURLToPath(
  new URL('../../test/fixtures/hostile-stdio/hostile-child.ts', import.meta.url),
);

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// A gateway that exits without stopping its stdio children (a crash, process.exit):
// the child leads its own process group, as stdio-process.ts spawns it, and has
// started a grandchild that holds its stdout.
const crashingGateway = `
  const { spawn } = await import('node:child_process');
  const { createChildReaper } = await import(process.argv[1]);
  const [child, pidFile] = process.argv.slice(2);
  const reaper = createChildReaper();
  const server = spawn(process.execPath, [child, 'grandchild', pidFile], { detached: true, stdio: 'pipe' });
  reaper.track(server);
  const { readFileSync } = await import('node:fs');
  const started = Date.now();
  while (readFileSync(pidFile, 'utf8').trim().split('\\n').length < 2 && Date.now() - started < 10000)
    await new Promise((resolve) => setTimeout(resolve, 20));
  process.exit(3);
`;

it('kills a tracked child and everything in its process group when the gateway exits hard', async (t) => {
  if (process.platform === 'win32') return t.skip('process groups are POSIX');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-reaper-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const pidFile = path.join(dir, 'pids');
  await writeFile(pidFile, '');
  await assert.rejects(
    promisify(execFile)(process.execPath, [
      '--input-type=module',
      '-e',
      crashingGateway,
      reaper,
      hostileChild,
      pidFile,
    ]),
    (error: { code?: number }) => error.code === 3,
  );
  const pids = (await readFile(pidFile, 'utf8')).trim().split('\n').map(Number);
  // A failing run must not leave its processes behind.
  t.after(() => {
    for (const pid of pids.filter(isAlive)) process.kill(pid, 'SIGKILL');
  });
  assert.equal(pids.length, 2, 'the server and its grandchild both started');
  const deadline = Date.now() + 2_000;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(20);
  assert.deepEqual(pids.filter(isAlive), [], 'a process of the stdio server outlived the gateway');
});
