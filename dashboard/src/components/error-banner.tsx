/** An error the user should see: the API's message, and a retry when one helps. */
import { ApiError } from '../api/client';

export function ErrorBanner({ error, retry }: { error: Error; retry?: () => void }) {
  return (
    <div className="banner banner-error" role="alert">
      <span>
        {error.message}
        {error instanceof ApiError ? <span className="muted"> ({error.code})</span> : null}
      </span>
      {retry !== undefined ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
