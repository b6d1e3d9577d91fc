import { html } from '../html.ts';
import type { SafeHtml } from '../html.ts';
import { newPasswordFields } from './form-fields.ts';

export function joinPage(options: {
  action: string;
  csrf: string;
  workspaceName: string;
  email: string;
  role: string;
}): SafeHtml {
  return html`<h1>Join ${options.workspaceName}</h1>
    <p>
      You are signed in as <strong>${options.email}</strong> and invited as
      <strong>${options.role}</strong>.
    </p>
    <form method="post" action="${options.action}">
      <input type="hidden" name="csrf" value="${options.csrf}" />
      <div class="actions">
        <button class="primary" type="submit">Join ${options.workspaceName}</button>
      </div>
    </form>`;
}

export function signUpPage(options: {
  action: string;
  csrf: string;
  workspaceName: string;
  email: string;
  name?: string;
  error?: string;
}): SafeHtml {
  return html`<h1>Join ${options.workspaceName}</h1>
    <p>Create your account for <strong>${options.email}</strong>.</p>
    ${options.error === undefined ? '' : html`<p class="error" role="alert">${options.error}</p>`}
    <form method="post" action="${options.action}">
      <input type="hidden" name="csrf" value="${options.csrf}" />
      <input type="hidden" name="email" value="${options.email}" autocomplete="username" />
      <label for="name">Name</label>
      <input
        id="name"
        name="name"
        type="text"
        autocomplete="name"
        value="${options.name ?? ''}"
        autofocus
      />
      ${newPasswordFields()}
      <div class="actions">
        <button class="primary" type="submit">Create account and join</button>
      </div>
    </form>`;
}
