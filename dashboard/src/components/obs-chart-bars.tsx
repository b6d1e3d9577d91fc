/**
 * Horizontal bars, one group per row (a tool, a member, a server), one bar
 * per series (requests and errors; p50, p95 and p99). The rows' data are
 * also a table next to the chart; the SVG carries a summary for screen
 * readers. Labels come from upstreams and members: SVG text, never markup.
 */
import { linear, valueTicks } from '../observability/chart-scale';

const WIDTH = 960;
const LABEL = 260;
const RIGHT = 56;
const BAR = 9;
const GAP = 2;
const ROW_GAP = 10;
const AXIS = 18;

export interface BarRow {
  readonly key: string;
  readonly label: string;
  readonly values: readonly (number | null)[];
}

const shorten = (text: string) => (text.length > 40 ? `${text.slice(0, 39)}…` : text);

export function BarChart({
  title,
  series,
  rows,
  format,
  summary,
  integer = true,
}: {
  title: string;
  /** Series names, in the order of each row's values (colours series-0, -1, -2). */
  series: readonly string[];
  rows: readonly BarRow[];
  format: (value: number) => string;
  summary: string;
  integer?: boolean;
}) {
  const top = Math.max(0, ...rows.flatMap((row) => row.values.map((v) => v ?? 0)));
  const { max, ticks } = valueTicks(top, 4, integer);
  const x = linear(max, LABEL, WIDTH - RIGHT);
  const rowHeight = series.length * (BAR + GAP) - GAP + ROW_GAP;
  const height = rows.length * rowHeight + AXIS;
  return (
    <figure className="chart obs-figure">
      <figcaption>
        <strong>{title}</strong>{' '}
        <span className="legend">
          {series.map((name, index) => (
            <span key={name} className={`swatch-${index}`}>
              ■ {name}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${Math.max(height, AXIS + 10)}`} role="img" aria-label={summary}>
        {ticks.map((tick) => (
          <g key={tick}>
            <line className="axis" x1={x(tick)} x2={x(tick)} y1={0} y2={height - AXIS} />
            <text x={x(tick)} y={height - 4} textAnchor="middle">
              {format(tick)}
            </text>
          </g>
        ))}
        {rows.map((row, rowIndex) => {
          const y0 = rowIndex * rowHeight;
          return (
            <g key={row.key}>
              <text x={LABEL - 8} y={y0 + (rowHeight - ROW_GAP) / 2 + 4} textAnchor="end">
                <title>{row.label}</title>
                {shorten(row.label)}
              </text>
              {row.values.map((value, index) =>
                value === null ? null : (
                  <g key={series[index]}>
                    <rect
                      className={`obs-bar series-${index}`}
                      x={LABEL}
                      y={y0 + index * (BAR + GAP)}
                      width={Math.max(1, x(value) - LABEL)}
                      height={BAR}
                    />
                    <text x={x(value) + 4} y={y0 + index * (BAR + GAP) + BAR - 1}>
                      {format(value)}
                    </text>
                  </g>
                ),
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
