/**
 * A destructive action behind a confirmation dialog (a modal <dialog>: focus
 * moves into it, Escape cancels). The action's error shows in the dialog.
 */
import { useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { ErrorBanner } from './error-banner';

export function ConfirmButton({
  label,
  name,
  title,
  children,
  confirmLabel,
  onConfirm,
}: {
  /** The button's text. */
  label: string;
  /** Its accessible name when the text alone is ambiguous in a table ("Remove ada@…"). */
  name?: string;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  async function confirm() {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
      dialog.current?.close();
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button
        type="button"
        className="danger"
        aria-label={name}
        onClick={() => dialog.current?.showModal()}
      >
        {label}
      </button>
      <dialog ref={dialog} aria-label={title}>
        <h2>{title}</h2>
        {children}
        {error !== undefined ? <ErrorBanner error={error} /> : null}
        <div className="form-actions">
          <button type="button" className="danger" disabled={busy} onClick={() => void confirm()}>
            {confirmLabel}
          </button>
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
    </>
  );
}
