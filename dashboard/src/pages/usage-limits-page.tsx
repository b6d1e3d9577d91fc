/**
 * Usage limits of the workspace: rules that count requests (by server, tool,
 * method) per group in fixed UTC windows. Every member reads them (they
 * explain a refusal); admins and owners create, replace and delete them.
 * Each rule shows how much of its current window is used, per counter
 * (members see their own counters and the shared ones; admins everyone's).
 */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { api } from '../api/client';
import { useApi } from '../api/use-api';
import { ErrorBanner } from '../components/error-banner';
import { PageHeader } from '../components/page-header';
import { UsageCounts } from '../components/usage-counts';
import { formatCount } from '../format';
import {
  USAGE_GROUPS,
  USAGE_PERIODS,
  describeRule,
  parseUsageLimitForm,
  usageLimitForm,
} from '../policy/usage-limit-form';
import type { UsageLimitForm, UsageLimitRule, UsagePeriod } from '../policy/usage-limit-form';
import type { LimitUsage } from '../policy/usage-limit-usage';
import { clockTime } from '../policy/usage-limit-usage';
import { useSession, useWorkspaceId } from '../session';

const GROUP_LABELS: Record<string, string> = {
  member: 'Member',
  api_key: 'API key or app',
  server: 'Server',
  tool: 'Tool',
};

function RuleForm({
  workspaceId,
  initial,
  editing,
  onSaved,
  onCancel,
}: {
  workspaceId: string;
  initial: UsageLimitForm;
  editing: boolean;
  onSaved: (name: string) => void;
  onCancel: () => void;
}) {
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const servers = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/servers', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseUsageLimitForm(form);
    if ('errors' in parsed) {
      setErrors(parsed.errors);
      return;
    }
    setErrors({});
    setBusy(true);
    setError(undefined);
    try {
      await api.put('/api/v1/workspaces/{workspaceId}/usage-limits/{name}', {
        path: { workspaceId, name: parsed.name },
        body: parsed.body,
      });
      onSaved(parsed.name);
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setBusy(false);
    }
  };
  const field = (key: keyof UsageLimitForm, label: string, hint?: string) => {
    const fieldError = errors[key];
    return (
      <div>
        <label htmlFor={`limit-${key}`}>{label}</label>
        <input
          id={`limit-${key}`}
          type="text"
          value={form[key]}
          disabled={key === 'name' && editing}
          aria-invalid={fieldError !== undefined}
          aria-describedby={fieldError !== undefined ? `limit-${key}-error` : undefined}
          onChange={(event) => setForm({ ...form, [key]: event.target.value })}
        />
        {fieldError !== undefined ? (
          <p id={`limit-${key}-error`} className="policy-field-error">
            {fieldError}
          </p>
        ) : hint !== undefined ? (
          <p className="field-hint">{hint}</p>
        ) : null}
      </div>
    );
  };
  return (
    <form
      className="panel"
      onSubmit={(event) => void submit(event)}
      aria-labelledby="limit-form-title"
    >
      <h2 id="limit-form-title">{editing ? `Change ${initial.name}` : 'New usage limit'}</h2>
      {field('name', 'Name', 'Lower-case letters, digits, ".", "_" or "-".')}
      <label htmlFor="limit-server">Server</label>
      <select
        id="limit-server"
        value={form.server}
        onChange={(event) => setForm({ ...form, server: event.target.value })}
      >
        <option value="">Every server</option>
        {(servers.data ?? []).map((server) => (
          <option key={server.id} value={server.id}>
            {server.name} ({server.id})
          </option>
        ))}
        {form.server !== '' && !(servers.data ?? []).some((server) => server.id === form.server) ? (
          <option value={form.server}>{form.server}</option>
        ) : null}
      </select>
      {field(
        'tool',
        'Tool',
        'Blank: every tool. A tool implies tools/call. Its upstream name, also when the policy renames it.',
      )}
      {field('method', 'Method', 'Blank: every request, or a JSON-RPC method such as tools/call.')}
      <fieldset>
        <legend>Count separately per</legend>
        {USAGE_GROUPS.map((group) => (
          <label key={group} className="inline">
            <input
              type="checkbox"
              checked={form.group_by.includes(group)}
              onChange={(event) =>
                setForm({
                  ...form,
                  group_by: event.target.checked
                    ? [...form.group_by, group]
                    : form.group_by.filter((entry) => entry !== group),
                })
              }
            />
            {GROUP_LABELS[group]}
          </label>
        ))}
        <p className="field-hint">None: one count for the whole workspace.</p>
      </fieldset>
      <label htmlFor="limit-period">Period</label>
      <select
        id="limit-period"
        value={form.period}
        onChange={(event) => setForm({ ...form, period: event.target.value as UsagePeriod })}
      >
        {USAGE_PERIODS.map((period) => (
          <option key={period} value={period}>
            {period}
          </option>
        ))}
      </select>
      {field(
        'limit',
        'Requests allowed per period',
        'Windows are fixed UTC periods; day and week act as quotas.',
      )}
      {error !== undefined ? <ErrorBanner error={error} /> : null}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {editing ? 'Save rule' : 'Create rule'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function RuleRow({
  rule,
  usage,
  usageAt,
  canManage,
  onEdit,
  onDelete,
}: {
  rule: UsageLimitRule;
  usage: LimitUsage | undefined;
  usageAt: Date | undefined;
  canManage: boolean;
  onEdit: () => void;
  onDelete: () => Promise<void>;
}) {
  const [confirming, setConfirming] = useState(false);
  return (
    <tr>
      <th scope="row">
        <code>{rule.name}</code>
      </th>
      <td>{describeRule(rule)}</td>
      <td className="num">{formatCount(rule.limit)}</td>
      <td>{rule.period}</td>
      <td>
        <UsageCounts usage={usage} at={usageAt} />
      </td>
      {canManage ? (
        <td>
          <div className="actions">
            {confirming ? (
              <>
                <button type="button" className="danger" onClick={() => void onDelete()}>
                  Confirm delete {rule.name}
                </button>
                <button type="button" onClick={() => setConfirming(false)}>
                  Keep
                </button>
              </>
            ) : (
              <>
                <button type="button" onClick={onEdit}>
                  Edit<span className="visually-hidden"> {rule.name}</span>
                </button>
                <button type="button" className="danger" onClick={() => setConfirming(true)}>
                  Delete<span className="visually-hidden"> {rule.name}</span>
                </button>
              </>
            )}
          </div>
        </td>
      ) : null}
    </tr>
  );
}

export function UsageLimitsPage() {
  const workspaceId = useWorkspaceId();
  const { canManage } = useSession();
  const rules = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/usage-limits', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  // The time of the read travels with the counts: "resets in" is relative to it.
  const usage = useApi(
    async (signal) => ({
      at: new Date(),
      limits: await api.get('/api/v1/workspaces/{workspaceId}/usage', {
        path: { workspaceId },
        signal,
      }),
    }),
    [workspaceId],
  );
  const usageByName = new Map((usage.data?.limits ?? []).map((entry) => [entry.name, entry]));
  const [editing, setEditing] = useState<{ rule?: UsageLimitRule } | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const remove = async (rule: UsageLimitRule) => {
    setError(undefined);
    try {
      await api.delete('/api/v1/workspaces/{workspaceId}/usage-limits/{name}', {
        path: { workspaceId, name: rule.name },
      });
      setNotice(`Deleted ${rule.name}.`);
      rules.reload();
      usage.reload();
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    }
  };
  return (
    <>
      <PageHeader
        title="Usage limits"
        description="Every rule that matches a request must allow it; a refused call gets rate_limited with the seconds to wait. Counters use fixed UTC windows."
        actions={
          <>
            <button type="button" onClick={usage.reload} disabled={usage.loading}>
              Refresh counts
            </button>
            {canManage && editing === undefined ? (
              <button type="button" className="primary" onClick={() => setEditing({})}>
                New usage limit
              </button>
            ) : null}
          </>
        }
      />
      {notice !== undefined ? (
        <div className="banner banner-ok" role="status">
          {notice}
        </div>
      ) : null}
      {error !== undefined ? <ErrorBanner error={error} /> : null}
      {editing !== undefined ? (
        <RuleForm
          key={editing.rule?.name ?? '(new)'}
          workspaceId={workspaceId}
          initial={usageLimitForm(editing.rule)}
          editing={editing.rule !== undefined}
          onSaved={(name) => {
            setEditing(undefined);
            setNotice(`Saved ${name}; it applies within a second on every instance.`);
            rules.reload();
            usage.reload();
          }}
          onCancel={() => setEditing(undefined)}
        />
      ) : null}
      {rules.error !== undefined ? <ErrorBanner error={rules.error} retry={rules.reload} /> : null}
      {usage.error !== undefined ? <ErrorBanner error={usage.error} retry={usage.reload} /> : null}
      {usage.data !== undefined && (rules.data?.length ?? 0) > 0 ? (
        <p className="muted" aria-live="polite">
          Counts as of {clockTime(usage.data.at, undefined, true)}.
        </p>
      ) : null}
      {rules.data === undefined ? (
        rules.error === undefined ? (
          <p className="loading">Loading…</p>
        ) : null
      ) : rules.data.length === 0 ? (
        <p className="empty">No usage limits: requests are not counted.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">What it counts</th>
                <th scope="col" className="num">
                  Limit
                </th>
                <th scope="col">Period</th>
                <th scope="col">Used now</th>
                {canManage ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {rules.data.map((rule) => (
                <RuleRow
                  key={rule.name}
                  rule={rule}
                  usage={usageByName.get(rule.name)}
                  usageAt={usage.data?.at}
                  canManage={canManage}
                  onEdit={() => {
                    setNotice(undefined);
                    setEditing({ rule });
                  }}
                  onDelete={() => remove(rule)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
