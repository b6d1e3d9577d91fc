/**
 * The last line of defence for "no child outlives the gateway": every stdio
 * child is tracked by PID, and if the gateway exits without stopping them
 * (a crash, process.exit) they are killed on the way out. The orderly path
 * is each upstream's close(); this only covers what that missed.
 */
import type { ChildProcess } from 'node:child_process';

export interface ChildReaper {
  track(child: ChildProcess): void;
  untrack(child: ChildProcess): void;
  /** PIDs of the children still tracked. */
  pids(): number[];
}

export function createChildReaper(): ChildReaper {
  const children = new Set<ChildProcess>();
  const reap = (): void => {
    for (const child of children) {
      try {
        // Children lead their own process group (stdio-process.ts): what they started goes too.
        if (process.platform !== 'win32' && child.pid !== undefined)
          process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };
  return {
    track(child) {
      if (children.size === 0) process.on('exit', reap);
      children.add(child);
    },
    untrack(child) {
      if (!children.delete(child)) return;
      if (children.size === 0) process.off('exit', reap);
    },
    pids: () => [...children].flatMap((child) => (child.pid === undefined ? [] : [child.pid])),
  };
}
