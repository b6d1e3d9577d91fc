/**
 * The security tab of a server: the `security` section of its policy
 * (time and size limits, read-only mode, confirmation of destructive tools,
 * per-tool overrides) and the usage-limit rules that count its requests.
 */
import { useState } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client';
import { useApi } from '../api/use-api';
import { ErrorBanner } from '../components/error-banner';
import { PolicySaveBar } from '../components/policy-save-bar';
import { describeRule } from '../policy/usage-limit-form';
import { setSecurity } from '../policy/policy-document';
import type { PolicyDocument } from '../policy/policy-document';
import {
  LIMIT_FIELDS,
  emptyToolSecurity,
  parseSecurityForm,
  securityForm,
} from '../policy/security-form';
import type {
  FieldErrors,
  LimitKey,
  SecurityForm,
  ToolSecurityForm,
  Tristate,
} from '../policy/security-form';
import { usePolicy } from '../policy/use-policy';
import { useSession, useWorkspaceId } from '../session';
import type { ServerDetail } from './server-capabilities';

function LimitInputs({
  limits,
  idPrefix,
  errors,
  errorPrefix,
  what,
  onChange,
}: {
  limits: Record<LimitKey, string>;
  idPrefix: string;
  errors: FieldErrors;
  errorPrefix: string;
  what: string;
  onChange: (key: LimitKey, value: string) => void;
}) {
  return (
    <div className="policy-limit-grid">
      {LIMIT_FIELDS.map((field) => {
        const id = `${idPrefix}-${field.key}`;
        const error = errors[errorPrefix + field.key];
        return (
          <div key={field.key}>
            <label htmlFor={id}>
              {field.label}
              <span className="visually-hidden"> {what}</span>
            </label>
            <input
              id={id}
              type="text"
              inputMode="numeric"
              value={limits[field.key]}
              placeholder="no limit"
              aria-invalid={error !== undefined}
              aria-describedby={error !== undefined ? `${id}-error` : undefined}
              onChange={(event) => onChange(field.key, event.target.value)}
            />
            {error !== undefined ? (
              <p id={`${id}-error`} className="policy-field-error">
                {error}
              </p>
            ) : null}
          </div>
        );
      })}
    </div>
  );
}

function ToolOverride({
  entry,
  index,
  errors,
  onChange,
  onRemove,
}: {
  entry: ToolSecurityForm;
  index: number;
  errors: FieldErrors;
  onChange: (entry: ToolSecurityForm) => void;
  onRemove: () => void;
}) {
  const id = `security-tool-${index}`;
  const toolError = errors[`tools.${index}.tool`];
  const name = entry.tool === '' ? `override ${index + 1}` : entry.tool;
  return (
    <fieldset>
      <legend>{entry.tool === '' ? 'New tool override' : entry.tool}</legend>
      <label htmlFor={`${id}-tool`}>Tool (as the upstream names it)</label>
      <input
        id={`${id}-tool`}
        type="text"
        value={entry.tool}
        aria-invalid={toolError !== undefined}
        onChange={(event) => onChange({ ...entry, tool: event.target.value })}
      />
      {toolError !== undefined ? <p className="policy-field-error">{toolError}</p> : null}
      <LimitInputs
        limits={entry.limits}
        idPrefix={id}
        errors={errors}
        errorPrefix={`tools.${index}.`}
        what={`for ${name}`}
        onChange={(key, value) => onChange({ ...entry, limits: { ...entry.limits, [key]: value } })}
      />
      <label htmlFor={`${id}-confirm`}>Confirm before it runs</label>
      <select
        id={`${id}-confirm`}
        value={entry.confirm_destructive}
        onChange={(event) =>
          onChange({ ...entry, confirm_destructive: event.target.value as Tristate })
        }
      >
        <option value="inherit">As the server</option>
        <option value="yes">Yes, when destructive</option>
        <option value="no">No</option>
      </select>
      <div className="form-actions">
        <button type="button" className="danger" onClick={onRemove}>
          Remove override for {name}
        </button>
      </div>
    </fieldset>
  );
}

/** `onChange` gets the document the form describes, or undefined while a field is refused. */
function SecurityEditor({
  document,
  onChange,
}: {
  document: PolicyDocument;
  onChange: (next: PolicyDocument | undefined) => void;
}) {
  const [form, setForm] = useState<SecurityForm>(() => securityForm(document.security));
  const [errors, setErrors] = useState<FieldErrors>({});
  const update = (next: SecurityForm) => {
    setForm(next);
    const parsed = parseSecurityForm(next, document.security);
    setErrors(parsed.errors);
    onChange(
      Object.keys(parsed.errors).length === 0 ? setSecurity(document, parsed.security) : undefined,
    );
  };
  return (
    <>
      <section className="panel" aria-labelledby="security-server-title">
        <h2 id="security-server-title">Every tool of this server</h2>
        <LimitInputs
          limits={form.limits}
          idPrefix="security"
          errors={errors}
          errorPrefix=""
          what="for every tool"
          onChange={(key, value) => update({ ...form, limits: { ...form.limits, [key]: value } })}
        />
        <p className="field-hint">
          A call gets the smaller of the server&apos;s and the tool&apos;s timeout; larger messages
          are refused, larger answers replaced by an error.
        </p>
        <label className="inline">
          <input
            type="checkbox"
            checked={form.read_only}
            onChange={(event) => update({ ...form, read_only: event.target.checked })}
          />
          Read-only: only tools annotated read-only are listed and callable
        </label>
        <label className="inline">
          <input
            type="checkbox"
            checked={form.confirm_destructive}
            onChange={(event) => update({ ...form, confirm_destructive: event.target.checked })}
          />
          Ask the member to confirm before a destructive tool runs
        </label>
      </section>
      <section className="panel" aria-labelledby="security-tools-title">
        <h2 id="security-tools-title">Per-tool overrides</h2>
        {form.tools.length === 0 ? (
          <p className="muted">None: every tool follows the server.</p>
        ) : null}
        {form.tools.map((entry, index) => (
          <ToolOverride
            key={index}
            entry={entry}
            index={index}
            errors={errors}
            onChange={(next) =>
              update({ ...form, tools: form.tools.map((t, i) => (i === index ? next : t)) })
            }
            onRemove={() => update({ ...form, tools: form.tools.filter((_, i) => i !== index) })}
          />
        ))}
        <button
          type="button"
          onClick={() => update({ ...form, tools: [...form.tools, emptyToolSecurity()] })}
        >
          Add a tool override
        </button>
      </section>
    </>
  );
}

function ServerLimits({ workspaceId, serverId }: { workspaceId: string; serverId: string }) {
  const limits = useApi(
    (signal) =>
      api.get('/api/v1/workspaces/{workspaceId}/usage-limits', { path: { workspaceId }, signal }),
    [workspaceId],
  );
  const rules = (limits.data ?? []).filter(
    (rule) => rule.server === undefined || rule.server === serverId,
  );
  return (
    <section className="panel" aria-labelledby="security-limits-title">
      <h2 id="security-limits-title">Usage limits</h2>
      {limits.error !== undefined ? (
        <ErrorBanner error={limits.error} retry={limits.reload} />
      ) : null}
      {limits.data !== undefined && rules.length === 0 ? (
        <p className="muted">No usage-limit rule counts this server&apos;s requests.</p>
      ) : null}
      {rules.length > 0 ? (
        <ul className="policy-limit-list">
          {rules.map((rule) => (
            <li key={rule.name}>
              <code>{rule.name}</code>: {describeRule(rule)}
            </li>
          ))}
        </ul>
      ) : null}
      <p>
        <Link href="/limits">Manage usage limits</Link>
      </p>
    </section>
  );
}

export function ServerSecurity({ server }: { server: ServerDetail }) {
  const workspaceId = useWorkspaceId();
  const { canManage } = useSession();
  const policy = usePolicy(workspaceId, server.id);
  const [invalid, setInvalid] = useState<number | undefined>();
  if (!canManage)
    return (
      <p className="muted">
        Only the workspace&apos;s admins and owners see and change its policy.
      </p>
    );
  if (policy.loadError !== undefined)
    return <ErrorBanner error={policy.loadError} retry={policy.reload} />;
  const saved = policy.saved;
  const blocked =
    invalid === policy.generation ? 'Correct the fields marked above to save.' : undefined;
  return (
    <div className="policy-security">
      {saved === undefined ? (
        <p className="loading">Loading the policy…</p>
      ) : (
        <>
          {/* A new saved version (or a conflict's reload) starts the form afresh. */}
          <SecurityEditor
            key={policy.generation}
            document={saved}
            onChange={(next) => {
              setInvalid(next === undefined ? policy.generation : undefined);
              if (next !== undefined) policy.edit(() => next);
            }}
          />
          <PolicySaveBar policy={policy} blocked={blocked} />
        </>
      )}
      <ServerLimits workspaceId={workspaceId} serverId={server.id} />
    </div>
  );
}
