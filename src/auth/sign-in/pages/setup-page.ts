import { html } from '../html.ts';
import type { SafeHtml } from '../html.ts';
import { emailField, newPasswordFields } from './form-fields.ts';

export interface SetupValues {
  email?: string;
  name?: string;
  workspaceId?: string;
  workspaceName?: string;
}

export function setupPage(options: {
  token: string;
  csrf: string;
  values?: SetupValues;
  error?: string;
}): SafeHtml {
  const values = options.values ?? {};
  return html`<h1>Set up Portcullis</h1>
    <p>Create the first administrator of this gateway.</p>
    ${options.error === undefined ? '' : html`<p class="error" role="alert">${options.error}</p>`}
    <form method="post" action="/setup?token=${options.token}">
      <input type="hidden" name="csrf" value="${options.csrf}" />
      ${emailField({ value: values.email })}
      <label for="name">Name <span class="hint">(optional)</span></label>
      <input id="name" name="name" type="text" autocomplete="name" value="${values.name ?? ''}" />
      ${newPasswordFields()}
      <fieldset>
        <legend>First workspace (optional)</legend>
        <label for="workspace_id"
          >Workspace id
          <span class="hint"
            >(lowercase letters, digits, "-" or "_"; part of every server URL)</span
          ></label
        >
        <input
          id="workspace_id"
          name="workspace_id"
          type="text"
          pattern="[a-z0-9][a-z0-9_\\-]{0,62}"
          value="${values.workspaceId ?? ''}"
        />
        <label for="workspace_name">Workspace name</label>
        <input
          id="workspace_name"
          name="workspace_name"
          type="text"
          value="${values.workspaceName ?? ''}"
        />
      </fieldset>
      <div class="actions"><button class="primary" type="submit">Create administrator</button></div>
    </form>`;
}
