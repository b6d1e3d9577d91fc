/**
 * The stdio part of the server form: the command the gateway runs and its
 * environment. Editing, a stored value's input stays empty and the stored
 * value is kept unless a new one is typed.
 */
import { issuesFor, keepsStoredEnv } from '../hub/server-form';
import type { EnvRow, FieldIssue, ServerForm } from '../hub/server-form';
import { FieldErrors, HubField, STORED_HINT, STORED_PLACEHOLDER, fieldAria } from './hub-field';

export function StdioFields({
  form,
  set,
  issues,
}: {
  form: ServerForm;
  set: (patch: Partial<ServerForm>) => void;
  issues: readonly FieldIssue[];
}) {
  const setRow = (index: number, patch: Partial<EnvRow>) =>
    set({ env: form.env.map((row, i) => (i === index ? { ...row, ...patch } : row)) });
  const envIssues = issuesFor(issues, 'env');
  return (
    <fieldset>
      <legend>Command to run</legend>
      <HubField
        id="server-command"
        label="Command"
        hint="The program the gateway starts on its host, e.g. npx or node. Only instance administrators can set it."
        messages={issuesFor(issues, 'command')}
      >
        <input
          type="text"
          value={form.command}
          onChange={(event) => set({ command: event.target.value })}
          spellCheck={false}
          {...fieldAria('server-command', issuesFor(issues, 'command'), true)}
        />
      </HubField>
      <HubField
        id="server-args"
        label="Arguments"
        hint="One argument per line, passed as they are (no shell)."
        messages={issuesFor(issues, 'args')}
      >
        <textarea
          value={form.args}
          onChange={(event) => set({ args: event.target.value })}
          spellCheck={false}
          {...fieldAria('server-args', issuesFor(issues, 'args'), true)}
        />
      </HubField>
      <HubField
        id="server-cwd"
        label="Working directory (optional)"
        hint="An absolute path; the gateway's own directory when empty."
        messages={issuesFor(issues, 'cwd')}
      >
        <input
          type="text"
          value={form.cwd}
          onChange={(event) => set({ cwd: event.target.value })}
          spellCheck={false}
          {...fieldAria('server-cwd', issuesFor(issues, 'cwd'), true)}
        />
      </HubField>
      <h3>Environment</h3>
      <p className="field-hint">
        A literal value is stored encrypted and never shown again; editing, leave a stored one empty
        to keep it. A member secret is each member&apos;s own value (they set it under My
        connections); the server then runs one process per member. References to the gateway&apos;s
        environment are possible only in the config file.
      </p>
      {form.env.map((row, index) => {
        const id = `env-${index}`;
        const stored = keepsStoredEnv(row);
        return (
          <div className="hub-row" key={index}>
            <div>
              <label htmlFor={`${id}-name`}>Variable {index + 1} name</label>
              <input
                type="text"
                id={`${id}-name`}
                value={row.name}
                spellCheck={false}
                onChange={(event) => setRow(index, { name: event.target.value })}
              />
            </div>
            <div>
              <label htmlFor={`${id}-kind`}>Variable {index + 1} kind</label>
              <select
                id={`${id}-kind`}
                value={row.kind}
                onChange={(event) =>
                  setRow(index, { kind: event.target.value as EnvRow['kind'], value: '' })
                }
              >
                <option value="literal">Value</option>
                <option value="member_secret">Member secret</option>
              </select>
            </div>
            <div>
              <label htmlFor={`${id}-value`}>
                {row.kind === 'literal'
                  ? `Variable ${index + 1} value`
                  : `Variable ${index + 1} secret name`}
              </label>
              <input
                type={row.kind === 'literal' ? 'password' : 'text'}
                id={`${id}-value`}
                value={row.value}
                autoComplete="off"
                spellCheck={false}
                placeholder={stored ? STORED_PLACEHOLDER : undefined}
                aria-describedby={stored ? `${id}-stored` : undefined}
                onChange={(event) => setRow(index, { value: event.target.value })}
              />
              {stored ? (
                <p className="field-hint" id={`${id}-stored`}>
                  {STORED_HINT}
                </p>
              ) : null}
            </div>
            {row.kind === 'member_secret' ? (
              <div>
                <label htmlFor={`${id}-description`}>Variable {index + 1} hint for members</label>
                <input
                  type="text"
                  id={`${id}-description`}
                  value={row.description}
                  onChange={(event) => setRow(index, { description: event.target.value })}
                />
              </div>
            ) : null}
            <button
              type="button"
              className="link"
              onClick={() => set({ env: form.env.filter((_, i) => i !== index) })}
            >
              Remove variable {index + 1}
            </button>
          </div>
        );
      })}
      <FieldErrors id="server-env" messages={envIssues} />
      <button
        type="button"
        onClick={() =>
          set({
            env: [
              ...form.env,
              { name: '', kind: 'literal', value: '', description: '', storedAs: null },
            ],
          })
        }
      >
        Add variable
      </button>
    </fieldset>
  );
}
