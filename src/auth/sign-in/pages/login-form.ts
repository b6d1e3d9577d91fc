import { html } from '../html.ts';
import type { SafeHtml } from '../html.ts';
import { emailField } from './form-fields.ts';

export function loginForm(options: {
  heading: string;
  /** Shown under the heading, e.g. which client asks. */
  lead?: SafeHtml | string;
  action: string;
  csrf: string;
  email?: string;
  error?: string;
  /** Extra hidden fields, e.g. `next`. */
  hidden?: Readonly<Record<string, string>>;
  /** "Sign in with <label>" under the form, when single sign-on is configured. */
  sso?: { label: string; href: string };
}): SafeHtml {
  const hidden = Object.entries(options.hidden ?? {}).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`,
  );
  return html`<h1>${options.heading}</h1>
    ${options.lead === undefined ? '' : html`<p>${options.lead}</p>`}
    ${options.error === undefined ? '' : html`<p class="error" role="alert" id="form-error">${options.error}</p>`}
    <form method="post" action="${options.action}">
      <input type="hidden" name="csrf" value="${options.csrf}" />
      ${hidden}
      ${emailField({
        value: options.email,
        describedBy: options.error === undefined ? undefined : 'form-error',
      })}
      <label for="password">Password</label>
      <input
        id="password"
        name="password"
        type="password"
        autocomplete="current-password"
        required
      />
      <div class="actions"><button class="primary" type="submit">Sign in</button></div>
    </form>
    ${
      options.sso === undefined
        ? ''
        : html`<p class="sso">
            <a href="${options.sso.href}">Sign in with ${options.sso.label}</a>
          </p>`
    }`;
}
