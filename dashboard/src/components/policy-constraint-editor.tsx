/**
 * Argument constraints of one tool: per role (or `*`), a JSON Schema the
 * call's arguments must also satisfy. The text is checked as JSON here; the
 * gateway compiles the schema on save and its complaint is shown beside it.
 */
import { useState } from 'react';
import { CONSTRAINT_KEYS } from '../policy/policy-document';
import type { ConstraintKey } from '../policy/policy-document';
import { issuesUnder } from '../policy/api-issues';

function parseSchema(text: string): { schema?: Record<string, unknown>; error?: string } {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return { error: 'A JSON Schema is a JSON object, e.g. {"properties": {…}}.' };
    return { schema: value as Record<string, unknown> };
  } catch (error) {
    return { error: `Not JSON: ${(error as Error).message}` };
  }
}

function ConstraintField({
  tool,
  idPrefix,
  role,
  value,
  apiError,
  onChange,
}: {
  tool: string;
  idPrefix: string;
  role: ConstraintKey;
  value: Record<string, unknown> | undefined;
  apiError: Error | undefined;
  onChange: (schema: Record<string, unknown> | undefined) => void;
}) {
  const initial = value === undefined ? '' : JSON.stringify(value, null, 2);
  const [text, setText] = useState(initial);
  const [error, setError] = useState<string | undefined>();
  const id = `${idPrefix}-constraint-${role === '*' ? 'all' : role}`;
  const issues = issuesUnder(apiError, `body.security.tools.${tool}.argument_constraints.${role}`);
  const problems = [...(error === undefined ? [] : [error]), ...issues];
  return (
    <div className="policy-constraint">
      <label htmlFor={id}>
        {role === '*' ? 'Every role without its own' : `Role ${role}`}
        <span className="visually-hidden"> argument constraint for {tool}</span>
      </label>
      <textarea
        id={id}
        value={text}
        spellCheck={false}
        aria-invalid={problems.length > 0}
        aria-describedby={problems.length > 0 ? `${id}-error` : undefined}
        placeholder='{"properties": {"database": {"enum": ["analytics"]}}}'
        onChange={(event) => {
          setText(event.target.value);
          const parsed = parseSchema(event.target.value);
          setError(parsed.error);
          if (parsed.error === undefined) onChange(parsed.schema);
        }}
      />
      {problems.length > 0 ? (
        <ul id={`${id}-error`} className="policy-field-error">
          {problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function PolicyConstraintEditor({
  tool,
  idPrefix,
  constraints,
  apiError,
  onChange,
}: {
  tool: string;
  idPrefix: string;
  constraints: Partial<Record<ConstraintKey, Record<string, unknown>>>;
  apiError: Error | undefined;
  onChange: (key: ConstraintKey, schema: Record<string, unknown> | undefined) => void;
}) {
  const used = CONSTRAINT_KEYS.filter((key) => constraints[key] !== undefined);
  const [shown, setShown] = useState<ConstraintKey[]>(used);
  const addable = CONSTRAINT_KEYS.filter((key) => !shown.includes(key));
  const addId = `${idPrefix}-constraint-add`;
  return (
    <fieldset className="policy-constraints">
      <legend>Argument constraints</legend>
      <p className="field-hint">
        A JSON Schema the call&apos;s arguments must also satisfy; clients see it in the tool&apos;s
        input schema, calls that break it are refused.
      </p>
      {shown.map((key) => (
        <ConstraintField
          key={key}
          tool={tool}
          idPrefix={idPrefix}
          role={key}
          value={constraints[key]}
          apiError={apiError}
          onChange={(schema) => onChange(key, schema)}
        />
      ))}
      {addable.length > 0 ? (
        <div className="actions">
          <label htmlFor={addId} className="inline">
            Add a constraint for
          </label>
          <select
            id={addId}
            value=""
            onChange={(event) => {
              const key = event.target.value as ConstraintKey;
              if (key !== ('' as ConstraintKey)) setShown((list) => [...list, key]);
            }}
          >
            <option value="">Choose…</option>
            {addable.map((key) => (
              <option key={key} value={key}>
                {key === '*' ? 'every role (*)' : key}
              </option>
            ))}
          </select>
        </div>
      ) : null}
    </fieldset>
  );
}
