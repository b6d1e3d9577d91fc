/**
 * How one tool is presented to members (shown name, title, description) and
 * the annotation hints the gateway judges it by, each beside what the
 * upstream says. Read-only mode lists only tools judged read-only; the
 * confirmation of destructive tools asks before tools judged destructive.
 */
import { issuesUnder } from '../policy/api-issues';
import type { ToolRow } from '../policy/capability-rows';
import { setToolOverride } from '../policy/policy-document';
import {
  ANNOTATION_HINTS,
  clearToolOverrides,
  effectiveHint,
  hasOverrides,
  hintChoice,
  setAnnotationHint,
  upstreamHintText,
} from '../policy/tool-overrides';
import type { AnnotationHint, HintChoice } from '../policy/tool-overrides';
import type { PolicyDraft } from '../policy/use-policy';

type TextField = 'name' | 'title' | 'description';

function FieldProblems({ id, problems }: { id: string; problems: readonly string[] }) {
  if (problems.length === 0) return null;
  return (
    <ul id={id} className="policy-field-error">
      {problems.map((problem) => (
        <li key={problem}>{problem}</li>
      ))}
    </ul>
  );
}

function OverrideText({
  row,
  field,
  label,
  hint,
  idPrefix,
  policy,
  problem,
}: {
  row: ToolRow;
  field: TextField;
  label: string;
  hint?: string;
  idPrefix: string;
  policy: PolicyDraft;
  problem?: string | undefined;
}) {
  const id = `${idPrefix}-${field}`;
  const problems = [
    ...new Set([
      ...(problem === undefined ? [] : [problem]),
      ...issuesUnder(policy.saveError, `body.tools.${row.name}.${field}`),
    ]),
  ];
  const describedBy = [
    problems.length > 0 ? `${id}-error` : '',
    hint === undefined ? '' : `${id}-hint`,
  ]
    .filter((part) => part !== '')
    .join(' ');
  const props = {
    id,
    value: row.rule[field] ?? '',
    placeholder: field === 'name' ? row.name : (row[field] ?? ''),
    'aria-invalid': problems.length > 0,
    'aria-describedby': describedBy === '' ? undefined : describedBy,
    onChange: (event: { target: { value: string } }) =>
      policy.edit((document) => setToolOverride(document, row.name, field, event.target.value)),
  };
  return (
    <>
      <label htmlFor={id}>{label}</label>
      {field === 'description' ? <textarea {...props} /> : <input type="text" {...props} />}
      <FieldProblems id={`${id}-error`} problems={problems} />
      {hint !== undefined ? (
        <p id={`${id}-hint`} className="field-hint">
          {hint}
        </p>
      ) : null}
    </>
  );
}

function HintRow({
  row,
  hint,
  label,
  idPrefix,
  policy,
}: {
  row: ToolRow;
  hint: AnnotationHint;
  label: string;
  idPrefix: string;
  policy: PolicyDraft;
}) {
  const id = `${idPrefix}-${hint}`;
  const overrides = row.rule.annotations;
  const choice = hintChoice(overrides, hint);
  const judged = effectiveHint(row.upstreamAnnotations, overrides, hint);
  return (
    <tr>
      <th scope="row">
        <label htmlFor={id}>
          {label} <code>{hint}</code>
          <span className="visually-hidden"> of {row.name}</span>
        </label>
      </th>
      <td id={`${id}-upstream`}>{upstreamHintText(row.upstreamAnnotations, hint)}</td>
      <td>
        <select
          id={id}
          value={choice}
          aria-describedby={`${id}-upstream`}
          onChange={(event) => {
            const next = event.target.value as HintChoice;
            if (next !== 'kept')
              policy.edit((document) => setAnnotationHint(document, row.name, hint, next));
          }}
        >
          <option value="upstream">As the upstream says</option>
          <option value="true">true</option>
          <option value="false">false</option>
          {choice === 'kept' ? (
            <option value="kept">{`${JSON.stringify(overrides?.[hint])} (as set elsewhere)`}</option>
          ) : null}
        </select>
      </td>
      <td>{String(judged)}</td>
    </tr>
  );
}

export function PolicyToolOverrides({
  row,
  idPrefix: rawPrefix,
  policy,
  nameProblem,
}: {
  row: ToolRow;
  idPrefix: string;
  policy: PolicyDraft;
  /** What is wrong with the shown name before the gateway is asked. */
  nameProblem: string | undefined;
}) {
  // A space in a tool's name would split an aria-describedby list.
  const idPrefix = rawPrefix.replace(/[^A-Za-z0-9_-]/g, '_');
  const annotationIssues = issuesUnder(policy.saveError, `body.tools.${row.name}.annotations`);
  return (
    <>
      <fieldset>
        <legend>Shown to members as</legend>
        <OverrideText
          row={row}
          field="name"
          label="Name"
          hint="Blank keeps the upstream's name; calls by the new name are mapped back."
          idPrefix={idPrefix}
          policy={policy}
          problem={nameProblem}
        />
        <OverrideText row={row} field="title" label="Title" idPrefix={idPrefix} policy={policy} />
        <OverrideText
          row={row}
          field="description"
          label="Description"
          hint="Blank keeps the upstream's description."
          idPrefix={idPrefix}
          policy={policy}
        />
      </fieldset>
      <fieldset>
        <legend>Annotations</legend>
        <p className="field-hint">
          Read-only mode lists only tools judged read-only; confirmation asks before tools judged
          destructive. An override replaces what the upstream says.
        </p>
        <div className="table-wrap">
          <table className="policy-annotations">
            <caption className="visually-hidden">Annotations of {row.name}</caption>
            <thead>
              <tr>
                <th scope="col">Hint</th>
                <th scope="col">Upstream</th>
                <th scope="col">Override</th>
                <th scope="col">Judged</th>
              </tr>
            </thead>
            <tbody>
              {ANNOTATION_HINTS.map((entry) => (
                <HintRow
                  key={entry.key}
                  row={row}
                  hint={entry.key}
                  label={entry.label}
                  idPrefix={idPrefix}
                  policy={policy}
                />
              ))}
            </tbody>
          </table>
        </div>
        <FieldProblems id={`${idPrefix}-annotations-error`} problems={annotationIssues} />
      </fieldset>
      {hasOverrides(row.rule) ? (
        <div className="actions">
          <button
            type="button"
            onClick={() => policy.edit((document) => clearToolOverrides(document, row.name))}
          >
            Remove the overrides of {row.name}
          </button>
        </div>
      ) : null}
    </>
  );
}
