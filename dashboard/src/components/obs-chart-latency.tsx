/**
 * Latency over time: p50, p95 and p99 as three lines over the same buckets
 * as the requests chart. Buckets without requests have no latency, so the
 * lines break there; markers show the buckets (a lone one has no line). The
 * SVG carries a one-line summary for screen readers; the figures themselves
 * are a table behind "Show as table".
 */
import { useId, useState } from 'react';
import { formatCount, formatMs, formatTime } from '../format';
import {
  barSlots,
  bucketLabel,
  labelledIndexes,
  linear,
  valueTicks,
} from '../observability/chart-scale';
import type { BucketName } from '../observability/chart-scale';
import {
  PERCENTILES,
  latencyTotals,
  linePath,
  markerIndexes,
} from '../observability/latency-series';
import type { LatencyBucket, LatencySlot } from '../observability/latency-series';

const WIDTH = 960;
const HEIGHT = 240;
const LEFT = 56;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 24;

const tickLabel = (value: number) => (value === 0 ? '0' : formatMs(value));

export function LatencyChart({
  title,
  slots,
  bucket,
}: {
  title: string;
  slots: LatencySlot[];
  bucket: BucketName;
}) {
  const id = useId();
  const [showTable, setShowTable] = useState(false);
  const filled = slots.flatMap((slot) => (slot.bucket === null ? [] : [slot.bucket]));
  const totals = latencyTotals(filled);
  const { max, ticks } = valueTicks(totals.max, 4, false);
  const y = linear(max, HEIGHT - BOTTOM, TOP);
  const slotsX = barSlots(slots.length, WIDTH - LEFT - RIGHT);
  const x = (index: number) => LEFT + slotsX.x(index) + slotsX.width / 2;
  const slowest = totals.slowest;
  const summary =
    slowest === undefined
      ? `${title}: no requests in this range.`
      : `${title}, per ${bucket}, over ${formatCount(totals.count)} requests: slowest ${bucket} ${formatTime(slowest.start)} with p50 ${formatMs(slowest.p50)}, p95 ${formatMs(slowest.p95)}, p99 ${formatMs(slowest.p99)}.`;
  return (
    <figure className="chart obs-figure" aria-labelledby={`${id}-title`}>
      <figcaption>
        <strong id={`${id}-title`}>{title}</strong>{' '}
        <span className="legend">
          {PERCENTILES.map((name, index) => (
            <span key={name} className={`swatch-${index}`}>
              ― {name}
            </span>
          ))}
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary}>
        {ticks.map((tick) => (
          <g key={tick}>
            <line className="axis" x1={LEFT} x2={WIDTH - RIGHT} y1={y(tick)} y2={y(tick)} />
            <text x={LEFT - 6} y={y(tick) + 4} textAnchor="end">
              {tickLabel(tick)}
            </text>
          </g>
        ))}
        {/* p99 first: where figures are equal, the lower percentiles stay visible on top. */}
        {PERCENTILES.map((name, index) => ({ name, index }))
          .reverse()
          .map(({ name, index }) => (
            <g key={name} className={`series-${index}`}>
              <path
                d={linePath(
                  slots.map((slot) => slot.bucket?.[name] ?? null),
                  x,
                  y,
                )}
              />
              {markerIndexes(slots.map((slot) => slot.bucket?.[name] ?? null)).map((at) => (
                <circle
                  key={slots[at]!.start}
                  className="obs-point"
                  cx={x(at)}
                  cy={y(slots[at]!.bucket![name])}
                  r={3}
                />
              ))}
            </g>
          ))}
        {labelledIndexes(slots.length).map((index) => (
          <text key={index} x={x(index)} y={HEIGHT - 6} textAnchor="middle">
            {bucketLabel(slots[index]!.start, bucket)}
          </text>
        ))}
      </svg>
      <button
        type="button"
        className="link"
        aria-expanded={showTable}
        aria-controls={`${id}-table`}
        onClick={() => setShowTable((value) => !value)}
      >
        {showTable ? 'Hide table' : 'Show as table'}
      </button>
      <div id={`${id}-table`} className="table-wrap" hidden={!showTable}>
        <LatencyBucketsTable title={title} bucket={bucket} rows={filled} count={totals.count} />
      </div>
    </figure>
  );
}

function LatencyBucketsTable({
  title,
  bucket,
  rows,
  count,
}: {
  title: string;
  bucket: BucketName;
  rows: LatencyBucket[];
  count: number;
}) {
  return (
    <table className="obs-table">
      <caption>
        {title}: the {bucket}s with requests (nearest rank)
      </caption>
      <thead>
        <tr>
          <th scope="col">{bucket === 'day' ? 'Day' : 'From'}</th>
          <th scope="col" className="num">
            Requests
          </th>
          {PERCENTILES.map((name) => (
            <th key={name} scope="col" className="num">
              {name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.start}>
            <td>{formatTime(row.start)}</td>
            <td className="num">{formatCount(row.count)}</td>
            {PERCENTILES.map((name) => (
              <td key={name} className="num">
                {formatMs(row[name])}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row">Total</th>
          <td className="num">{formatCount(count)}</td>
          <td colSpan={PERCENTILES.length} />
        </tr>
      </tfoot>
    </table>
  );
}
