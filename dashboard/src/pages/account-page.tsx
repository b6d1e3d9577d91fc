/** The caller's own account: name, email, password, and the workspaces they belong to. */
import { useState } from 'react';
import type { FormEvent } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client';
import { ErrorBanner } from '../components/error-banner';
import { PageHeader } from '../components/page-header';
import { describeAccess } from '../people/server-access';
import { useSession } from '../session';

/** Mirrors the API's minimum (src/admin/me-routes.ts); the API checks it again. */
const MIN_PASSWORD_LENGTH = 8;

function useSubmit(action: () => Promise<void>) {
  const [error, setError] = useState<Error | undefined>(undefined);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    setDone(false);
    try {
      await action();
      setDone(true);
    } catch (reason) {
      setError(reason instanceof Error ? reason : new Error(String(reason)));
    } finally {
      setBusy(false);
    }
  }
  return { error, done, busy, submit };
}

function Profile() {
  const { me, reloadMe } = useSession();
  const [name, setName] = useState(me.user.name ?? '');
  const form = useSubmit(async () => {
    await api.patch('/api/v1/users/{userId}', {
      path: { userId: me.user.id },
      body: { name: name.trim() === '' ? null : name.trim() },
    });
    reloadMe();
  });
  return (
    <form
      className="panel people-panel"
      aria-labelledby="profile-title"
      onSubmit={(event) => void form.submit(event)}
    >
      <h2 id="profile-title">Profile</h2>
      <dl className="facts">
        <dt>Email</dt>
        <dd>{me.user.email}</dd>
        <dt>Instance administrator</dt>
        <dd>{me.user.isAdmin ? 'Yes' : 'No'}</dd>
      </dl>
      <label htmlFor="account-name">Name</label>
      <input
        id="account-name"
        type="text"
        maxLength={200}
        autoComplete="name"
        value={name}
        onChange={(event) => setName(event.target.value)}
      />
      {form.error !== undefined ? <ErrorBanner error={form.error} /> : null}
      {form.done ? (
        <p className="banner banner-ok" role="status">
          Saved.
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={form.busy}>
          Save name
        </button>
      </div>
    </form>
  );
}

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const form = useSubmit(async () => {
    if (next !== repeat) throw new Error('The new passwords differ.');
    await api.post('/api/v1/me/password', {
      body: { currentPassword: current, newPassword: next },
    });
    setCurrent('');
    setNext('');
    setRepeat('');
  });
  return (
    <form
      className="panel people-panel"
      aria-labelledby="password-title"
      onSubmit={(event) => void form.submit(event)}
    >
      <h2 id="password-title">Change password</h2>
      <label htmlFor="current-password">Current password</label>
      <input
        id="current-password"
        type="password"
        autoComplete="current-password"
        required
        value={current}
        onChange={(event) => setCurrent(event.target.value)}
      />
      <label htmlFor="new-password">New password</label>
      <input
        id="new-password"
        type="password"
        autoComplete="new-password"
        required
        minLength={MIN_PASSWORD_LENGTH}
        value={next}
        onChange={(event) => setNext(event.target.value)}
      />
      <p className="field-hint">At least {MIN_PASSWORD_LENGTH} characters.</p>
      <label htmlFor="repeat-password">Repeat the new password</label>
      <input
        id="repeat-password"
        type="password"
        autoComplete="new-password"
        required
        value={repeat}
        onChange={(event) => setRepeat(event.target.value)}
      />
      {form.error !== undefined ? <ErrorBanner error={form.error} /> : null}
      {form.done ? (
        <p className="banner banner-ok" role="status">
          Password changed.
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={form.busy}>
          Change password
        </button>
      </div>
    </form>
  );
}

export function AccountPage() {
  const { me } = useSession();
  return (
    <>
      <PageHeader title="Account" description={me.user.email} />
      <Profile />
      <ChangePassword />
      <section className="panel people-panel" aria-labelledby="memberships-title">
        <h2 id="memberships-title">Workspaces</h2>
        {me.memberships.length === 0 ? (
          <p className="empty">You do not belong to any workspace yet.</p>
        ) : (
          <ul className="people-plain-list">
            {me.memberships.map((membership) => (
              <li key={membership.workspaceId}>
                <Link href={`~/w/${encodeURIComponent(membership.workspaceId)}/servers`}>
                  {membership.workspaceName}
                </Link>{' '}
                <span className="badge">{membership.role}</span>{' '}
                <span className="muted">{describeAccess(membership.servers, new Map())}</span>
              </li>
            ))}
          </ul>
        )}
        {me.user.isAdmin ? (
          <p>
            <Link href="~/workspaces">Manage every workspace of this instance</Link>
          </p>
        ) : null}
      </section>
    </>
  );
}
