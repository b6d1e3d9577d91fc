/**
 * Resident memory of a child process, for the admin API's server status.
 * Linux only: `/proc/<pid>/status` gives VmRSS in kB (proc(5)). Elsewhere,
 * or when the process is gone, the answer is null rather than a guess.
 */
import { readFile } from 'node:fs/promises';

/** Parses the VmRSS line of a `/proc/<pid>/status` text; null when absent. */
export function parseVmRss(status: string): number | null {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match === null ? null : Number(match[1]) * 1024;
}

export async function processMemoryRssBytes(pid: number): Promise<number | null> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  try {
    return parseVmRss(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    // No procfs (macOS, Windows), or the process exited between the state read and this one.
    return null;
  }
}
