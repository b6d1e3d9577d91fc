/**
 * The Prometheus text exposition format, version 0.0.4
 * (prometheus.io/docs/instrumenting/exposition_formats): `# HELP` and
 * `# TYPE` once per family, then one `name{labels} value` line per sample.
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(value: string): string {
  return value.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

export function formatLabels(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels).map(([key, value]) => `${key}="${escapeLabelValue(value)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Collects families in order; a family with no samples still states its HELP and TYPE. */
export interface Exposition {
  family(name: string, type: MetricType, help: string): void;
  sample(name: string, labels: Readonly<Record<string, string>>, value: number): void;
  /** One histogram series from per-bucket (not cumulative) counts; `counts` has one more slot than `bounds` (+Inf). */
  histogram(
    name: string,
    labels: Readonly<Record<string, string>>,
    bounds: readonly number[],
    counts: ArrayLike<number>,
    sum: number,
  ): void;
  text(): string;
}

export function createExposition(): Exposition {
  const lines: string[] = [];
  return {
    family(name, type, help) {
      lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    },
    sample(name, labels, value) {
      lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    },
    histogram(name, labels, bounds, counts, sum) {
      let cumulative = 0;
      for (let i = 0; i < bounds.length; i++) {
        cumulative += counts[i]!;
        lines.push(
          `${name}_bucket${formatLabels({ ...labels, le: formatValue(bounds[i]!) })} ${cumulative}`,
        );
      }
      cumulative += counts[bounds.length]!;
      lines.push(`${name}_bucket${formatLabels({ ...labels, le: '+Inf' })} ${cumulative}`);
      lines.push(`${name}_sum${formatLabels(labels)} ${formatValue(sum)}`);
      lines.push(`${name}_count${formatLabels(labels)} ${cumulative}`);
    },
    text: () => `${lines.join('\n')}\n`,
  };
}
