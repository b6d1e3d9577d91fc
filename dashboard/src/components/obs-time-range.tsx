/**
 * The time range fields of a filter form: a preset, or From/To for a custom
 * range. Read back with `readTimeRange(form data)`.
 */
import { useId, useState } from 'react';
import { fromLocalInput, isRangeId, rangeLabel, toLocalInput } from '../observability/time-range';
import type { RangeId, TimeRange } from '../observability/time-range';

export function TimeRangeFields({
  value,
  choices,
}: {
  value: TimeRange;
  choices: readonly RangeId[];
}) {
  const id = useId();
  const [range, setRange] = useState<RangeId>(value.range);
  return (
    <>
      <div>
        <label htmlFor={`${id}-range`}>Time range</label>
        <select
          id={`${id}-range`}
          name="range"
          value={range}
          onChange={(event) => setRange(event.target.value as RangeId)}
        >
          {choices.map((choice) => (
            <option key={choice} value={choice}>
              {rangeLabel(choice)}
            </option>
          ))}
        </select>
      </div>
      {range === 'custom' ? (
        <>
          <div>
            <label htmlFor={`${id}-since`}>From</label>
            <input
              id={`${id}-since`}
              type="datetime-local"
              name="since"
              required
              defaultValue={toLocalInput(value.since)}
            />
          </div>
          <div>
            <label htmlFor={`${id}-until`}>To</label>
            <input
              id={`${id}-until`}
              type="datetime-local"
              name="until"
              defaultValue={toLocalInput(value.until)}
            />
          </div>
        </>
      ) : null}
    </>
  );
}

/** A text field of a submitted form, trimmed ('' when absent). */
export function formText(data: FormData, name: string): string {
  const value = data.get(name);
  return typeof value === 'string' ? value.trim() : '';
}

/** The range a submitted form names (custom times converted from local time). */
export function readTimeRange(data: FormData, fallback: RangeId): TimeRange {
  const chosen = formText(data, 'range');
  const range = isRangeId(chosen) ? chosen : fallback;
  if (range !== 'custom') return { range };
  const since = fromLocalInput(formText(data, 'since'));
  const until = fromLocalInput(formText(data, 'until'));
  return {
    range,
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
  };
}
