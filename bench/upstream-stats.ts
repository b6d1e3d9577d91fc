/** Reads the cheap upstream's request counters (`GET /stats`). */
import { request } from 'undici';

export type UpstreamStats = Readonly<Record<string, number>>;

export async function readUpstreamStats(url: string): Promise<UpstreamStats> {
  const res = await request(url);
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`upstream stats: HTTP ${res.statusCode}`);
  }
  return (await res.body.json()) as UpstreamStats;
}

/** Upstream requests per client operation, by method, between two readings. */
export function perOperation(
  before: UpstreamStats,
  after: UpstreamStats,
  operations: number,
): Record<string, number> {
  const result: Record<string, number> = {};
  if (operations === 0) return result;
  for (const [method, count] of Object.entries(after)) {
    const delta = count - (before[method] ?? 0);
    if (delta > 0) result[method] = delta / operations;
  }
  return result;
}

/** All upstream requests per operation, whatever their method. */
export function totalPerOperation(perOp: Readonly<Record<string, number>>): number {
  return Object.values(perOp).reduce((sum, n) => sum + n, 0);
}
