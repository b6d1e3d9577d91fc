/** Save or discard the policy draft, with what the last save (or conflict) said. */
import { ErrorBanner } from './error-banner';
import type { PolicyDraft } from '../policy/use-policy';

export function PolicySaveBar({
  policy,
  label = 'Save changes',
  blocked,
}: {
  policy: PolicyDraft;
  label?: string;
  /** Why the draft cannot be saved yet (a field the form refuses). */
  blocked?: string | undefined;
}) {
  return (
    <div className="policy-save-bar" aria-live="polite">
      {policy.notice !== undefined ? (
        <div className={`banner banner-${policy.notice.kind}`} role="status">
          {policy.notice.text}
        </div>
      ) : null}
      {policy.saveError !== undefined ? <ErrorBanner error={policy.saveError} /> : null}
      <div className="form-actions">
        <button
          type="button"
          className="primary"
          disabled={!policy.dirty || policy.saving || blocked !== undefined}
          onClick={() => void policy.save()}
        >
          {policy.saving ? 'Saving…' : label}
        </button>
        <button type="button" disabled={!policy.dirty || policy.saving} onClick={policy.discard}>
          Discard
        </button>
        <span className="muted">
          {blocked !== undefined
            ? blocked
            : policy.dirty
              ? 'Unsaved changes.'
              : policy.version === 0
                ? 'No policy yet: everything is visible.'
                : `Version ${policy.version}.`}
        </span>
      </div>
    </div>
  );
}
