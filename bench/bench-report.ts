/** Everything one run produced, as written to `<out>/bench-<time>.json` and `.md`. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchOptions } from './bench-options.ts';
import type { GoalResult } from './goals.ts';
import type { MachineInfo } from './machine-info.ts';
import { renderMarkdown } from './render-markdown.ts';
import type { Sample } from './sample.ts';
import type { SummaryRow } from './summary.ts';

export interface BenchReport {
  readonly date: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly pinning: string;
  readonly options: BenchOptions;
  readonly goals: readonly GoalResult[];
  readonly summary: readonly SummaryRow[];
  readonly samples: readonly Sample[];
}

/** Writes the report, plus `latest.md` and `latest.json`; returns the markdown path. */
export async function writeBenchReport(report: BenchReport): Promise<string> {
  const dir = path.resolve(report.options.outDir);
  await mkdir(dir, { recursive: true });
  const stamp = report.date.replace(/[:.]/g, '-');
  const markdown = renderMarkdown(report);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const markdownPath = path.join(dir, `bench-${stamp}.md`);
  await writeFile(markdownPath, markdown);
  await writeFile(path.join(dir, `bench-${stamp}.json`), json);
  await writeFile(path.join(dir, 'latest.md'), markdown);
  await writeFile(path.join(dir, 'latest.json'), json);
  return markdownPath;
}
