/**
 * The dashboard: loads the caller (GET /api/v1/me), then routes. Views under
 * `/w/:workspace/…` work on that workspace (their paths in routes.ts are
 * relative to it); account views (`/account`, …) on the caller.
 */
import { useEffect, useMemo } from 'react';
import { Redirect, Route, Switch, useParams } from 'wouter';
import { ApiError, api, setCsrfToken } from './api/client';
import { useApi } from './api/use-api';
import { ErrorBanner } from './components/error-banner';
import { Layout } from './layout';
import { accountRoutes, workspaceRoutes } from './routes';
import { SessionContext, signInUrl } from './session';
import type { Me, Session } from './session';

const MANAGING_ROLES = new Set(['owner', 'admin']);

function sessionFor(me: Me, reloadMe: () => void, workspace: string | undefined): Session {
  const membership = me.memberships.find((entry) => entry.workspaceId === workspace);
  return {
    me,
    workspaceId: membership !== undefined || me.user.isAdmin ? workspace : undefined,
    membership,
    canManage: me.user.isAdmin || MANAGING_ROLES.has(membership?.role ?? ''),
    reloadMe,
  };
}

function WorkspaceViews({ me, reloadMe }: { me: Me; reloadMe: () => void }) {
  const { workspace } = useParams<{ workspace: string }>();
  const session = useMemo(() => sessionFor(me, reloadMe, workspace), [me, reloadMe, workspace]);
  return (
    <SessionContext.Provider value={session}>
      <Layout>
        {session.workspaceId === undefined ? (
          <ErrorBanner error={new Error(`You are not a member of the workspace "${workspace}".`)} />
        ) : (
          <Switch>
            {workspaceRoutes.map((route) => (
              <Route key={route.path} path={route.path} component={route.component} />
            ))}
            <Route>
              <Redirect to="/servers" replace />
            </Route>
          </Switch>
        )}
      </Layout>
    </SessionContext.Provider>
  );
}

function AccountViews({ me, reloadMe }: { me: Me; reloadMe: () => void }) {
  const session = useMemo(() => {
    const last = window.localStorage.getItem('portcullis.workspace');
    const known = me.memberships.some((entry) => entry.workspaceId === last);
    return sessionFor(me, reloadMe, known ? (last ?? undefined) : me.memberships[0]?.workspaceId);
  }, [me, reloadMe]);
  return (
    <SessionContext.Provider value={session}>
      <Layout>
        <Switch>
          {accountRoutes.map((route) => (
            <Route key={route.path} path={route.path} component={route.component} />
          ))}
          <Route>
            {session.workspaceId !== undefined ? (
              <Redirect to={`/w/${encodeURIComponent(session.workspaceId)}/servers`} replace />
            ) : (
              <section className="empty">
                <h1>No workspace yet</h1>
                <p>
                  {me.user.isAdmin
                    ? 'Create a workspace to register MCP servers and invite members.'
                    : 'Ask an administrator to invite you to a workspace.'}
                </p>
              </section>
            )}
          </Route>
        </Switch>
      </Layout>
    </SessionContext.Provider>
  );
}

export function App() {
  const me = useApi((signal) => api.get('/api/v1/me', { signal }), []);
  const signedOut = me.error instanceof ApiError && me.error.status === 401;
  useEffect(() => {
    if (signedOut) window.location.assign(signInUrl(window.location));
  }, [signedOut]);
  if (me.data === undefined) {
    if (me.error !== undefined && !signedOut)
      return <ErrorBanner error={me.error} retry={me.reload} />;
    return (
      <p className="loading" aria-live="polite">
        Loading…
      </p>
    );
  }
  setCsrfToken(me.data.csrfToken);
  return (
    <Switch>
      <Route path="/w/:workspace" nest>
        <WorkspaceViews me={me.data} reloadMe={me.reload} />
      </Route>
      <Route>
        <AccountViews me={me.data} reloadMe={me.reload} />
      </Route>
    </Switch>
  );
}
