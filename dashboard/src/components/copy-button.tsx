/** Copies a value to the clipboard and says so (falls back to selecting it for a manual copy). */
import { useState } from 'react';

export function CopyButton({ value, label = 'Copy' }: { value: string; label?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setState('failed');
    }
    window.setTimeout(() => setState('idle'), 2000);
  }
  return (
    <button
      type="button"
      className="copy"
      onClick={() => void copy()}
      aria-label={`${label}: ${value}`}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select the text' : label}
    </button>
  );
}

/** A value to copy, shown in full and selectable. */
export function CopyField({ value, label }: { value: string; label?: string }) {
  return (
    <span className="copy-field">
      <code>{value}</code>
      <CopyButton value={value} {...(label === undefined ? {} : { label })} />
    </span>
  );
}
