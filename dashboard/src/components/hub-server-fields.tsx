/**
 * The fields of the add/edit server form: identity, transport and URL or
 * command, upstream authentication, request records. Each shows the problems
 * found with it.
 */
import { issuesFor } from '../hub/server-form';
import type { CaptureMode, FieldIssue, ServerForm, Transport } from '../hub/server-form';
import { AuthFields } from './hub-auth-fields';
import { HubField, fieldAria } from './hub-field';
import { StdioFields } from './hub-stdio-fields';

const TRANSPORTS: { value: Transport; label: string; hint: string }[] = [
  { value: 'http', label: 'HTTP', hint: 'Streamable HTTP: a remote or internal MCP server URL.' },
  { value: 'sse', label: 'SSE (legacy)', hint: 'The 2024 HTTP+SSE transport, for older servers.' },
  { value: 'stdio', label: 'stdio', hint: 'A command the gateway runs on its own host.' },
];

export function ServerFormFields({
  form,
  set,
  issues,
  editing,
  mayRunCommands,
}: {
  form: ServerForm;
  set: (patch: Partial<ServerForm>) => void;
  issues: readonly FieldIssue[];
  editing: boolean;
  mayRunCommands: boolean;
}) {
  const at = (field: string) => issuesFor(issues, field);
  return (
    <>
      <fieldset>
        <legend>Server</legend>
        <HubField
          id="server-id"
          label="Id"
          hint={
            editing
              ? 'The id is part of the server URL and cannot change.'
              : 'Lowercase letters, digits, "-" and "_"; part of the server URL.'
          }
          messages={at('id')}
        >
          <input
            type="text"
            value={form.id}
            readOnly={editing}
            required
            spellCheck={false}
            autoCapitalize="none"
            onChange={(event) => set({ id: event.target.value })}
            {...fieldAria('server-id', at('id'), true)}
          />
        </HubField>
        <HubField id="server-name" label="Display name (optional)" messages={at('name')}>
          <input
            type="text"
            value={form.name}
            onChange={(event) => set({ name: event.target.value })}
            {...fieldAria('server-name', at('name'))}
          />
        </HubField>
        <div className="hub-choices" role="radiogroup" aria-labelledby="transport-label">
          <span className="hub-choices-label" id="transport-label">
            Transport
          </span>
          {TRANSPORTS.map((transport) => {
            const locked = transport.value === 'stdio' && !mayRunCommands;
            return (
              <label className="inline" key={transport.value}>
                <input
                  type="radio"
                  name="transport"
                  value={transport.value}
                  checked={form.transport === transport.value}
                  disabled={locked}
                  onChange={() =>
                    set({
                      transport: transport.value,
                      ...(transport.value === 'sse' && form.authMode === 'oauth'
                        ? { authMode: 'none' }
                        : {}),
                    })
                  }
                />
                {transport.label}
                <span className="muted">
                  {' '}
                  — {locked ? 'instance administrators only' : transport.hint}
                </span>
              </label>
            );
          })}
        </div>
        {form.transport !== 'stdio' ? (
          <HubField
            id="server-url"
            label="URL"
            hint="The upstream MCP endpoint, e.g. https://mcp.example.com/mcp."
            messages={at('url')}
          >
            <input
              type="url"
              value={form.url}
              required
              spellCheck={false}
              onChange={(event) => set({ url: event.target.value })}
              {...fieldAria('server-url', at('url'), true)}
            />
          </HubField>
        ) : null}
        <HubField
          id="server-timeout"
          label="Timeout in milliseconds (optional)"
          hint="How long a call may take upstream; the gateway's default when empty."
          messages={at('timeout_ms')}
        >
          <input
            type="number"
            min={100}
            step={100}
            value={form.timeoutMs}
            onChange={(event) => set({ timeoutMs: event.target.value })}
            {...fieldAria('server-timeout', at('timeout_ms'), true)}
          />
        </HubField>
      </fieldset>
      {form.transport === 'stdio' ? (
        <StdioFields form={form} set={set} issues={issues} />
      ) : (
        <AuthFields form={form} set={set} issues={issues} />
      )}
      <fieldset>
        <legend>Request records</legend>
        <HubField
          id="capture-mode"
          label="What the logs keep of each call"
          messages={at('capture')}
        >
          <select
            value={form.captureMode}
            onChange={(event) => set({ captureMode: event.target.value as CaptureMode })}
            {...fieldAria('capture-mode', at('capture'))}
          >
            <option value="metadata">Metadata: who, what, when, how long (no bodies)</option>
            <option value="full">Full: arguments and results too, redacted</option>
            <option value="off">Off: no request records</option>
          </select>
        </HubField>
        {form.captureMode === 'full' ? (
          <HubField
            id="capture-masks"
            label="Fields to mask (optional)"
            hint="One field path per line, e.g. arguments.password or result.items[*].token."
            messages={[]}
          >
            <textarea
              value={form.captureMasks}
              spellCheck={false}
              onChange={(event) => set({ captureMasks: event.target.value })}
              {...fieldAria('capture-masks', [], true)}
            />
          </HubField>
        ) : null}
      </fieldset>
    </>
  );
}
