/** Renders a run as markdown: context, goal verdicts, then one table per scenario. */
import { CAPTURE_TARGET_NAMES, POLICY_TARGET_NAMES } from './bench-target.ts';
import type { BenchReport } from './bench-report.ts';
import { findRow, type SummaryRow } from './summary.ts';
import type { Spread } from './stats.ts';
import { DISTURBED_PERCENT } from './system-load.ts';
import { totalPerOperation } from './upstream-stats.ts';

function fixed(value: number, digits: number): string {
  return Number.isFinite(value)
    ? value.toLocaleString('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    : '–';
}

/** `median (min–max)` when there was more than one round. */
function withRange(s: Spread, digits: number): string {
  const median = fixed(s.median, digits);
  return s.min === s.max ? median : `${median} (${fixed(s.min, digits)}–${fixed(s.max, digits)})`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '_No target of this scenario was measured._';
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function cpu(row: SummaryRow): string {
  return row.serverCpuUsPerOp === undefined ? '–' : fixed(row.serverCpuUsPerOp.median, 0);
}

function loadSide(row: SummaryRow): string {
  return row.loadCpuPercent === undefined ? '–' : fixed(row.loadCpuPercent, 0);
}

function load(row: SummaryRow): string {
  return row.maxForeignCpuPercent === undefined ? '–' : fixed(row.maxForeignCpuPercent, 0);
}

function upstreamTotal(row: SummaryRow): string {
  return fixed(totalPerOperation(row.upstreamPerOp), 2);
}

/** `3.00 (initialize 1.00, notifications/initialized 1.00, tools/call 1.00)`. */
function upstreamByMethod(row: SummaryRow): string {
  const parts = Object.entries(row.upstreamPerOp)
    .filter(([, n]) => n >= 0.005)
    .map(([method, n]) => `${method} ${fixed(n, 2)}`);
  return parts.length === 0 ? upstreamTotal(row) : `${upstreamTotal(row)} (${parts.join(', ')})`;
}

function scenarioRows(
  report: BenchReport,
  scenario: SummaryRow['scenario'],
  concurrency: number,
): SummaryRow[] {
  return report.options.targets.flatMap((target) => {
    const row = findRow(report.summary, scenario, concurrency, target);
    return row === undefined ? [] : [row];
  });
}

export function renderMarkdown(report: BenchReport): string {
  const { options, machine } = report;
  const out: string[] = [];
  out.push('# Portcullis data-plane benchmark', '');
  out.push(`- Date: ${report.date}`);
  out.push(`- Command: \`${report.command}\``);
  out.push(`- Machine: ${machine.nproc} CPUs (nproc), ${machine.cpuModel}, ${machine.os}`);
  out.push(`- Node: ${machine.node}`);
  out.push(`- Pinning: ${report.pinning}`);
  out.push(
    `- Method: ${options.rounds} interleaved round(s) of ${options.durationS} s per measurement ` +
      `after ${options.warmupS} s of warm-up per target` +
      (options.waitQuietS > 0
        ? `, each waiting up to ${options.waitQuietS} s for a quiet machine and repeated ` +
          'when disturbed (at most 3 attempts, the least disturbed kept)'
        : '') +
      '; figures are medians over rounds ' +
      '(min–max in brackets). Server CPU is the CPU time the serving process used per operation; ' +
      '"load side CPU" is what the load generator and the upstream beside it used (near 100 % ' +
      'the load side, not the server, may be the limit); "other load" is the most CPU that ' +
      'processes outside the benchmark used during any round (both in % of one CPU).',
    '',
  );
  const worst = Math.max(0, ...report.summary.map((row) => row.maxForeignCpuPercent ?? 0));
  if (worst > DISTURBED_PERCENT) {
    out.push(
      `> **Disturbed run:** other processes used up to ${fixed(worst, 0)} % of a CPU during ` +
        'some measurements (column "other load"). Re-run on a quiet machine before trusting ' +
        'differences under about 10 %.',
      '',
    );
  }

  out.push('## Goals', '');
  out.push(
    table(
      ['goal', 'threshold', 'measured', 'result'],
      report.goals.map((g) => [g.goal, g.threshold, g.measured, g.status]),
    ),
    '',
  );

  if (options.scenarios.includes('throughput')) {
    out.push(`## (a) tools/call throughput, ${options.connections} connections`, '');
    const rows = scenarioRows(report, 'throughput', options.connections);
    out.push(
      table(
        [
          'target',
          'req/s',
          'p50 ms',
          'p99 ms',
          'server CPU µs/req',
          'upstream req/op',
          'failures',
          'load side CPU %',
          'other load %',
        ],
        rows.map((r) => [
          r.target,
          withRange(r.rate, 0),
          fixed(r.p50Ms.median, 2),
          fixed(r.p99Ms.median, 2),
          cpu(r),
          upstreamTotal(r),
          String(r.failures),
          loadSide(r),
          load(r),
        ]),
      ),
      '',
    );
  }

  if (options.scenarios.includes('latency')) {
    out.push('## (b) tools/call latency, 1 connection', '');
    const rows = scenarioRows(report, 'latency', 1);
    const direct = findRow(report.summary, 'latency', 1, 'direct');
    out.push(
      table(
        [
          'target',
          'p50 ms',
          'p99 ms',
          'added p50 over direct, ms',
          'req/s',
          'server CPU µs/req',
          'upstream req/op',
          'failures',
          'other load %',
        ],
        rows.map((r) => [
          r.target,
          withRange(r.p50Ms, 3),
          withRange(r.p99Ms, 3),
          direct === undefined ? '–' : fixed(r.p50Ms.median - direct.p50Ms.median, 3),
          fixed(r.rate.median, 0),
          cpu(r),
          upstreamTotal(r),
          String(r.failures),
          load(r),
        ]),
      ),
      '',
    );
  }

  if (options.scenarios.includes('claude')) {
    for (const workers of options.claudeWorkers) {
      out.push(
        `## (c) Claude pattern (initialize, initialized, tools/call on a fresh session), ${workers} worker${workers === 1 ? '' : 's'}`,
        '',
      );
      const rows = scenarioRows(report, 'claude', workers);
      out.push(
        table(
          [
            'target',
            'iterations/s',
            'p50 ms',
            'p99 ms',
            'server CPU µs/iteration',
            'upstream requests per iteration',
            'failures',
            'load side CPU %',
            'other load %',
          ],
          rows.map((r) => [
            r.target,
            withRange(r.rate, 0),
            withRange(r.p50Ms, 3),
            fixed(r.p99Ms.median, 3),
            cpu(r),
            upstreamByMethod(r),
            String(r.failures),
            loadSide(r),
            load(r),
          ]),
        ),
        '',
      );
    }
  }
  const features = [
    {
      scenario: 'policy' as const,
      title: '(d) policy: tools/call throughput without and with a 50-rule policy',
      targets: POLICY_TARGET_NAMES,
      reference: 'no-policy' as const,
    },
    {
      scenario: 'capture' as const,
      title: '(e) capture: tools/call throughput, records off and records with capture: full',
      targets: CAPTURE_TARGET_NAMES,
      reference: 'records-off' as const,
    },
  ];
  for (const feature of features) {
    if (!options.scenarios.includes(feature.scenario)) continue;
    out.push(`## ${feature.title}, ${options.connections} connections`, '');
    const reference = findRow(
      report.summary,
      feature.scenario,
      options.connections,
      feature.reference,
    );
    const rows = feature.targets.flatMap((target) => {
      const row = findRow(report.summary, feature.scenario, options.connections, target);
      return row === undefined ? [] : [row];
    });
    out.push(
      table(
        [
          'target',
          'req/s',
          `÷ ${feature.reference}`,
          'p50 ms',
          'p99 ms',
          'server CPU µs/req',
          'upstream req/op',
          'failures',
          'load side CPU %',
          'other load %',
        ],
        rows.map((r) => [
          r.target,
          withRange(r.rate, 0),
          reference === undefined ? '–' : fixed(r.rate.median / reference.rate.median, 2),
          fixed(r.p50Ms.median, 2),
          fixed(r.p99Ms.median, 2),
          cpu(r),
          upstreamTotal(r),
          String(r.failures),
          loadSide(r),
          load(r),
        ]),
      ),
      '',
    );
  }
  return out.join('\n');
}
