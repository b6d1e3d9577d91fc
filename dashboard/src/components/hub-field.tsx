/**
 * A labelled form field of the hub's forms: hint and the problems the API
 * (or the form) found with it, tied to the input for screen readers.
 */
import type { ReactNode } from 'react';

/** On a stored secret's empty input: the value is never shown, and kept unless replaced. */
export const STORED_PLACEHOLDER = 'Stored (not shown)';
export const STORED_HINT = 'Stored — leave as is or replace.';

/** The attributes an input takes to announce its hint and problems. */
export function fieldAria(id: string, messages: readonly string[], hint?: boolean) {
  const describedBy = [hint === true ? `${id}-hint` : '', messages.length > 0 ? `${id}-errors` : '']
    .filter((part) => part !== '')
    .join(' ');
  return {
    id,
    'aria-invalid': messages.length > 0 ? true : undefined,
    'aria-describedby': describedBy === '' ? undefined : describedBy,
  } as const;
}

export function FieldErrors({ id, messages }: { id: string; messages: readonly string[] }) {
  if (messages.length === 0) return null;
  return (
    <ul className="hub-field-errors" id={`${id}-errors`}>
      {messages.map((message) => (
        <li key={message}>{message}</li>
      ))}
    </ul>
  );
}

export function HubField({
  id,
  label,
  hint,
  messages,
  children,
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  messages: readonly string[];
  /** The input, given `fieldAria(id, messages, hint !== undefined)`. */
  children: ReactNode;
}) {
  return (
    <div className="hub-field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint !== undefined ? (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      <FieldErrors id={id} messages={messages} />
    </div>
  );
}
