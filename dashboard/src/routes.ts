/**
 * Every view of the dashboard and where it lives. Workspace views' paths are
 * relative to `/w/:workspace`; inside them, `<Link href="/logs">` stays in the
 * workspace and `~/account` leaves it.
 */
import type { ComponentType } from 'react';
import { AccountPage } from './pages/account-page';
import { AnalyticsPage } from './pages/analytics-page';
import { ApiKeysPage } from './pages/api-keys-page';
import { AuditPage } from './pages/audit-page';
import { AuthorizedAppsPage } from './pages/authorized-apps-page';
import { LogsPage } from './pages/logs-page';
import { MembersPage } from './pages/members-page';
import { MyConnectionsPage } from './pages/my-connections-page';
import { ServerFormPage } from './pages/server-form-page';
import { ServerPage } from './pages/server-page';
import { ServersPage } from './pages/servers-page';
import { UsageLimitsPage } from './pages/usage-limits-page';
import { WorkspacesPage } from './pages/workspaces-page';

export interface View {
  readonly path: string;
  readonly component: ComponentType;
}

export interface NavItem {
  readonly href: string;
  readonly label: string;
  /** Shown only to admins and owners of the workspace (and instance administrators). */
  readonly managers?: boolean;
}

export const workspaceRoutes: readonly View[] = [
  { path: '/servers', component: ServersPage },
  { path: '/servers/new', component: ServerFormPage },
  { path: '/servers/:server/edit', component: ServerFormPage },
  { path: '/servers/:server/:tab?', component: ServerPage },
  { path: '/limits', component: UsageLimitsPage },
  { path: '/members', component: MembersPage },
  { path: '/connections', component: MyConnectionsPage },
  { path: '/apps', component: AuthorizedAppsPage },
  { path: '/api-keys', component: ApiKeysPage },
  { path: '/logs', component: LogsPage },
  { path: '/analytics', component: AnalyticsPage },
  { path: '/audit', component: AuditPage },
];

export const accountRoutes: readonly View[] = [
  { path: '/account', component: AccountPage },
  { path: '/workspaces', component: WorkspacesPage },
];

export const workspaceNav: readonly NavItem[] = [
  { href: '/servers', label: 'MCP Hub' },
  { href: '/connections', label: 'My connections' },
  { href: '/members', label: 'Members' },
  { href: '/api-keys', label: 'API keys' },
  { href: '/apps', label: 'Authorized apps' },
  { href: '/limits', label: 'Usage limits', managers: true },
  { href: '/logs', label: 'Logs' },
  { href: '/analytics', label: 'Analytics' },
  { href: '/audit', label: 'Audit', managers: true },
];
