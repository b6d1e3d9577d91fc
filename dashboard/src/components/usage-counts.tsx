/**
 * One usage limit's current window on the Usage limits page: used of the
 * limit (or, for grouped rules, the fullest counter), when it resets, and
 * each group's counter with a meter.
 */
import { formatCount } from '../format';
import { counterLabel, resetsIn, usageSummary, usedOfLimit } from '../policy/usage-limit-usage';
import type { LimitUsage, UsageLevel } from '../policy/usage-limit-usage';

const LEVEL_BADGE: Record<UsageLevel, string> = {
  ok: 'badge ok',
  high: 'badge warn',
  full: 'badge error',
};

/** The current window of one rule: its summary, the reset, and each group's counter. */
export function UsageCounts({
  usage,
  at,
}: {
  usage: LimitUsage | undefined;
  at: Date | undefined;
}) {
  if (usage === undefined || at === undefined) return <span className="muted">—</span>;
  const summary = usageSummary(usage);
  const hidden = usage.counters_total - usage.counters.length;
  return (
    <div>
      <span className={LEVEL_BADGE[summary.level]}>{summary.text}</span>{' '}
      <span className="muted">{resetsIn(usage.resets_at, at)}</span>
      {usage.group_by.length > 0 && usage.counters.length > 0 ? (
        <details>
          <summary>
            Counters<span className="visually-hidden"> of {usage.name}</span>
          </summary>
          <table>
            <thead>
              <tr>
                <th scope="col">Who or what</th>
                <th scope="col" className="num">
                  Used
                </th>
                <th scope="col">
                  <span className="visually-hidden">Share of the limit</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {usage.counters.map((counter) => {
                const label = counterLabel(counter);
                return (
                  <tr key={label}>
                    <td>{label}</td>
                    <td className="num">{usedOfLimit(counter.used, usage.limit)}</td>
                    <td>
                      <meter
                        min={0}
                        max={Math.max(1, usage.limit)}
                        low={usage.limit * 0.8}
                        high={usage.limit}
                        optimum={0}
                        value={counter.used}
                        aria-label={`${label}: ${usedOfLimit(counter.used, usage.limit)}`}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {hidden > 0 ? (
            <p className="field-hint">And {formatCount(hidden)} less used counters not listed.</p>
          ) : null}
        </details>
      ) : null}
    </div>
  );
}
