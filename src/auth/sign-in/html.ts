/**
 * The one template helper of the sign-in pages: every interpolated value is
 * HTML-escaped unless it is already SafeHtml (the result of another `html`).
 */

export interface SafeHtml {
  readonly __html: string;
}

type Interpolation =
  SafeHtml | string | number | boolean | null | undefined | readonly Interpolation[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => ESCAPES[char] ?? char);
}

function isSafeHtml(value: unknown): value is SafeHtml {
  return typeof value === 'object' && value !== null && '__html' in value;
}

function render(value: Interpolation): string {
  // null, undefined and false render nothing so that `${cond && html`…`}` reads naturally.
  if (value === null || value === undefined || value === false) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return escapeHtml(value);
  if (isSafeHtml(value)) return value.__html;
  return value.map(render).join('');
}

export function html(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return { __html: out };
}
