/**
 * The frame of every view: the workspace switcher, the navigation, the
 * account menu. On a narrow screen the navigation folds behind a button.
 */
import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { workspaceNav } from './routes';
import { useSession } from './session';

function WorkspaceSwitcher() {
  const { me, workspaceId } = useSession();
  const [, navigate] = useLocation();
  if (me.memberships.length === 0) return null;
  return (
    <label className="workspace-switcher">
      <span className="visually-hidden">Workspace</span>
      <select
        value={workspaceId ?? ''}
        onChange={(event) => navigate(`~/w/${encodeURIComponent(event.target.value)}/servers`)}
      >
        {workspaceId === undefined ? <option value="">Choose a workspace</option> : null}
        {me.memberships.map((membership) => (
          <option key={membership.workspaceId} value={membership.workspaceId}>
            {membership.workspaceName}
          </option>
        ))}
      </select>
    </label>
  );
}

function SignOut() {
  const { me } = useSession();
  return (
    <form method="post" action="/logout" className="sign-out">
      <input type="hidden" name="csrf" value={me.csrfToken ?? ''} />
      <button type="submit" className="link">
        Sign out
      </button>
    </form>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { me, workspaceId, canManage } = useSession();
  const [open, setOpen] = useState(false);
  // Subscribes to navigation, so the current link below follows it.
  useLocation();
  useEffect(() => {
    if (workspaceId !== undefined) window.localStorage.setItem('portcullis.workspace', workspaceId);
  }, [workspaceId]);
  const base = workspaceId === undefined ? undefined : `~/w/${encodeURIComponent(workspaceId)}`;
  const here = window.location.pathname;
  return (
    <div className="shell">
      <header className="topbar">
        <button
          type="button"
          className="menu-button"
          aria-expanded={open}
          aria-controls="main-nav"
          onClick={() => setOpen((value) => !value)}
        >
          Menu
        </button>
        <Link href={base === undefined ? '~/' : `${base}/servers`} className="brand">
          Portcullis
        </Link>
        <WorkspaceSwitcher />
        <div className="account-menu">
          <Link href="~/account" className="muted">
            {me.user.name ?? me.user.email}
          </Link>
          <SignOut />
        </div>
      </header>
      <nav
        id="main-nav"
        className={open ? 'nav open' : 'nav'}
        aria-label="Main"
        // A followed link closes the folded menu (phones).
        onClick={(event) => {
          if ((event.target as Element).closest('a') !== null) setOpen(false);
        }}
      >
        {base !== undefined ? (
          <ul>
            {workspaceNav
              .filter((item) => canManage || item.managers !== true)
              .map((item) => {
                const href = `${base}${item.href}`;
                const current = here.startsWith(href.slice(1));
                return (
                  <li key={item.href}>
                    <Link href={href} aria-current={current ? 'page' : undefined}>
                      {item.label}
                    </Link>
                  </li>
                );
              })}
          </ul>
        ) : null}
        <ul className="nav-secondary">
          <li>
            <Link href="~/account">Account</Link>
          </li>
          {me.user.isAdmin ? (
            <li>
              <Link href="~/workspaces">Workspaces</Link>
            </li>
          ) : null}
        </ul>
      </nav>
      <main className="content" id="content">
        {children}
      </main>
    </div>
  );
}
