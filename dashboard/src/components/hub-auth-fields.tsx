/**
 * How the gateway authenticates to an http or sse upstream: nothing, static
 * headers (sealed at once, never shown again), or the gateway as an OAuth
 * client (docs/upstream-credentials.md), plus identity forwarding. Editing,
 * a stored secret's input stays empty and the stored value is kept unless a
 * new one is typed.
 */
import { issuesFor, keepsStoredHeader } from '../hub/server-form';
import type { AuthMode, FieldIssue, HeaderRow, OAuthGrant, ServerForm } from '../hub/server-form';
import { FieldErrors, HubField, STORED_HINT, STORED_PLACEHOLDER, fieldAria } from './hub-field';

const GRANTS: { value: OAuthGrant; label: string }[] = [
  { value: 'per_user', label: 'Per user: each member connects their own account' },
  { value: 'shared', label: 'Shared: an admin connects one account for the workspace' },
  { value: 'client_credentials', label: 'Client credentials: the gateway signs in as itself' },
];

function HeaderRows({
  form,
  set,
  issues,
}: {
  form: ServerForm;
  set: (patch: Partial<ServerForm>) => void;
  issues: readonly FieldIssue[];
}) {
  const setRow = (index: number, patch: Partial<HeaderRow>) =>
    set({ headers: form.headers.map((row, i) => (i === index ? { ...row, ...patch } : row)) });
  return (
    <>
      {form.headers.map((row, index) => {
        const stored = keepsStoredHeader(row);
        return (
          <div className="hub-row" key={index}>
            <div>
              <label htmlFor={`header-${index}-name`}>Header {index + 1} name</label>
              <input
                type="text"
                id={`header-${index}-name`}
                value={row.name}
                placeholder="X-Api-Key"
                spellCheck={false}
                onChange={(event) => setRow(index, { name: event.target.value })}
              />
            </div>
            <div>
              <label htmlFor={`header-${index}-value`}>Header {index + 1} value</label>
              <input
                type="password"
                id={`header-${index}-value`}
                value={row.value}
                autoComplete="off"
                placeholder={stored ? STORED_PLACEHOLDER : undefined}
                aria-describedby={stored ? `header-${index}-stored` : undefined}
                onChange={(event) => setRow(index, { value: event.target.value })}
              />
              {stored ? (
                <p className="field-hint" id={`header-${index}-stored`}>
                  {STORED_HINT}
                </p>
              ) : null}
            </div>
            <button
              type="button"
              className="link"
              onClick={() => set({ headers: form.headers.filter((_, i) => i !== index) })}
            >
              Remove header {index + 1}
            </button>
          </div>
        );
      })}
      <FieldErrors id="server-headers" messages={issuesFor(issues, 'upstream_auth.headers')} />
      <button
        type="button"
        onClick={() => set({ headers: [...form.headers, { name: '', value: '', storedAs: null }] })}
      >
        Add header
      </button>
    </>
  );
}

function OAuthFields({
  form,
  set,
  issues,
}: {
  form: ServerForm;
  set: (patch: Partial<ServerForm>) => void;
  issues: readonly FieldIssue[];
}) {
  const at = (field: string) => issuesFor(issues, `upstream_auth.oauth.${field}`);
  const keeping = form.storedClientSecret && form.clientSecret === '';
  return (
    <>
      <HubField id="oauth-grant" label="Whose account" messages={at('grant')}>
        <select
          value={form.grant}
          onChange={(event) => set({ grant: event.target.value as OAuthGrant })}
          {...fieldAria('oauth-grant', at('grant'))}
        >
          {GRANTS.map((grant) => (
            <option key={grant.value} value={grant.value}>
              {grant.label}
            </option>
          ))}
        </select>
      </HubField>
      <HubField
        id="oauth-client-id"
        label="Client id (optional)"
        hint="A client registered at the upstream's authorization server. Empty: the gateway registers itself (client metadata document or dynamic registration)."
        messages={at('client_id')}
      >
        <input
          type="text"
          value={form.clientId}
          spellCheck={false}
          onChange={(event) => set({ clientId: event.target.value })}
          {...fieldAria('oauth-client-id', at('client_id'), true)}
        />
      </HubField>
      <HubField
        id="oauth-client-secret"
        label="Client secret (optional)"
        hint={
          form.storedClientSecret
            ? 'Stored — leave as is or replace. It belongs to the client id above.'
            : 'Stored encrypted; never shown again.'
        }
        messages={at('client_secret')}
      >
        <input
          type="password"
          value={form.clientSecret}
          autoComplete="off"
          placeholder={keeping ? STORED_PLACEHOLDER : undefined}
          onChange={(event) => set({ clientSecret: event.target.value })}
          {...fieldAria('oauth-client-secret', at('client_secret'), true)}
        />
      </HubField>
      {form.storedClientSecret ? (
        <p>
          <button
            type="button"
            className="link"
            onClick={() => set({ storedClientSecret: false, clientSecret: '' })}
          >
            Remove the stored client secret
          </button>
        </p>
      ) : null}
      <HubField
        id="oauth-scopes"
        label="Scopes (optional)"
        hint="Space-separated; the ones the upstream advertises when empty."
        messages={at('scopes')}
      >
        <input
          type="text"
          value={form.scopes}
          spellCheck={false}
          onChange={(event) => set({ scopes: event.target.value })}
          {...fieldAria('oauth-scopes', at('scopes'), true)}
        />
      </HubField>
      <HubField
        id="oauth-params"
        label="Extra authorization parameters (optional)"
        hint="One name=value per line, e.g. access_type=offline."
        messages={at('authorize_params')}
      >
        <textarea
          value={form.authorizeParams}
          spellCheck={false}
          onChange={(event) => set({ authorizeParams: event.target.value })}
          {...fieldAria('oauth-params', at('authorize_params'), true)}
        />
      </HubField>
      <p>
        <label className="inline">
          <input
            type="checkbox"
            checked={form.omitResource}
            onChange={(event) => set({ omitResource: event.target.checked })}
          />
          Do not send the resource parameter (for authorization servers that refuse it)
        </label>
      </p>
    </>
  );
}

export function AuthFields({
  form,
  set,
  issues,
}: {
  form: ServerForm;
  set: (patch: Partial<ServerForm>) => void;
  issues: readonly FieldIssue[];
}) {
  const modeIssues = issuesFor(issues, 'upstream_auth.mode');
  return (
    <fieldset>
      <legend>Upstream authentication</legend>
      <HubField
        id="auth-mode"
        label="How the gateway signs in to this server"
        hint="Clients never see these credentials, and their own tokens never reach the upstream."
        messages={modeIssues}
      >
        <select
          value={form.authMode}
          onChange={(event) => set({ authMode: event.target.value as AuthMode })}
          {...fieldAria('auth-mode', modeIssues, true)}
        >
          <option value="none">None</option>
          <option value="headers">Static headers (an API key or token)</option>
          <option value="oauth" disabled={form.transport === 'sse'}>
            OAuth{form.transport === 'sse' ? ' (needs transport HTTP)' : ''}
          </option>
        </select>
      </HubField>
      {form.authMode === 'headers' ? <HeaderRows form={form} set={set} issues={issues} /> : null}
      {form.authMode === 'oauth' ? <OAuthFields form={form} set={set} issues={issues} /> : null}
      <p>
        <label className="inline">
          <input
            type="checkbox"
            checked={form.forwardIdentity}
            onChange={(event) => set({ forwardIdentity: event.target.checked })}
          />
          Forward the caller&apos;s identity (a signed X-Portcullis-Identity header)
        </label>
      </p>
      <FieldErrors
        id="server-auth"
        messages={issuesFor(issues, 'upstream_auth').filter(
          (message) => !/^(mode|headers|oauth)\b/.test(message),
        )}
      />
    </fieldset>
  );
}
