/**
 * Requests over time as bars, each split into answered (blue) and failed
 * (red) requests. The SVG carries a one-line summary for screen readers; the
 * buckets themselves are a table behind "Show as table".
 */
import { useId, useState } from 'react';
import { formatCount, formatTime } from '../format';
import {
  barSlots,
  bucketLabel,
  labelledIndexes,
  linear,
  valueTicks,
} from '../observability/chart-scale';
import type { Bucket, BucketName } from '../observability/chart-scale';

const WIDTH = 960;
const HEIGHT = 240;
const LEFT = 44;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 24;

export function TimeSeriesChart({
  title,
  buckets,
  bucket,
}: {
  title: string;
  buckets: Bucket[];
  bucket: BucketName;
}) {
  const id = useId();
  const [showTable, setShowTable] = useState(false);
  const requests = buckets.reduce((sum, b) => sum + b.requests, 0);
  const errors = buckets.reduce((sum, b) => sum + b.errors, 0);
  const busiest = buckets.reduce<Bucket | undefined>(
    (top, b) => (top === undefined || b.requests > top.requests ? b : top),
    undefined,
  );
  const { max, ticks } = valueTicks(busiest?.requests ?? 0);
  const y = linear(max, HEIGHT - BOTTOM, TOP);
  const slots = barSlots(buckets.length, WIDTH - LEFT - RIGHT);
  const summary =
    requests === 0
      ? `${title}: no requests in this range.`
      : `${title}, per ${bucket}: ${formatCount(requests)} requests, ${formatCount(errors)} errors; busiest ${bucket} ${formatTime(busiest!.start)} with ${formatCount(busiest!.requests)}.`;
  return (
    <figure className="chart obs-figure" aria-labelledby={`${id}-title`}>
      <figcaption>
        <strong id={`${id}-title`}>{title}</strong>{' '}
        <span className="legend">
          <span className="swatch-0">■ answered</span>
          <span className="swatch-1">■ errors</span>
        </span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary}>
        {ticks.map((tick) => (
          <g key={tick}>
            <line className="axis" x1={LEFT} x2={WIDTH - RIGHT} y1={y(tick)} y2={y(tick)} />
            <text x={LEFT - 6} y={y(tick) + 4} textAnchor="end">
              {formatCount(tick)}
            </text>
          </g>
        ))}
        {buckets.map((b, index) => {
          const x = LEFT + slots.x(index);
          const ok = b.requests - b.errors;
          return (
            <g key={b.start}>
              {ok > 0 ? (
                <rect
                  className="bar"
                  x={x}
                  width={slots.width}
                  y={y(b.requests)}
                  height={y(b.errors) - y(b.requests)}
                />
              ) : null}
              {b.errors > 0 ? (
                <rect
                  className="bar error"
                  x={x}
                  width={slots.width}
                  y={y(b.errors)}
                  height={y(0) - y(b.errors)}
                />
              ) : null}
            </g>
          );
        })}
        {labelledIndexes(buckets.length).map((index) => (
          <text
            key={index}
            x={LEFT + slots.x(index) + slots.width / 2}
            y={HEIGHT - 6}
            textAnchor="middle"
          >
            {bucketLabel(buckets[index]!.start, bucket)}
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
        <table className="obs-table">
          <caption>
            {title}: the {bucket}s with requests
          </caption>
          <thead>
            <tr>
              <th scope="col">{bucket === 'day' ? 'Day' : 'From'}</th>
              <th scope="col" className="num">
                Requests
              </th>
              <th scope="col" className="num">
                Errors
              </th>
            </tr>
          </thead>
          <tbody>
            {buckets
              .filter((b) => b.requests > 0)
              .map((b) => (
                <tr key={b.start}>
                  <td>{formatTime(b.start)}</td>
                  <td className="num">{formatCount(b.requests)}</td>
                  <td className="num">{formatCount(b.errors)}</td>
                </tr>
              ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              <td className="num">{formatCount(requests)}</td>
              <td className="num">{formatCount(errors)}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </figure>
  );
}
