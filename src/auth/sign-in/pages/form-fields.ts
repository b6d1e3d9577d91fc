/**
 * The account fields shared by the sign-in, set-up and sign-up forms, so that
 * their autocomplete hints and length limits cannot drift apart.
 */
import { html } from '../html.ts';
import type { SafeHtml } from '../html.ts';

/** The focused email field; `describedBy` names the element that explains an error. */
export function emailField(options: { value?: string; describedBy?: string }): SafeHtml {
  return html`<label for="email">Email</label>
    <input
      id="email"
      name="email"
      type="email"
      autocomplete="username"
      required
      autofocus
      value="${options.value ?? ''}"
      ${options.describedBy === undefined ? '' : html` aria-describedby="${options.describedBy}"`}
    />`;
}

/** A new password and its repetition; the server checks them again (`passwordProblem`). */
export function newPasswordFields(): SafeHtml {
  return html`<label for="password"
      >Password <span class="hint">(at least 12 characters)</span></label
    >
    <input
      id="password"
      name="password"
      type="password"
      autocomplete="new-password"
      minlength="12"
      required
    />
    <label for="confirm">Repeat password</label>
    <input
      id="confirm"
      name="confirm"
      type="password"
      autocomplete="new-password"
      minlength="12"
      required
    />`;
}
