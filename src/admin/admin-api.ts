/**
 * The account and admin API under /api/v1, used by the dashboard and the
 * CLI. Every route authenticates its caller (authenticate-api-caller.ts),
 * validates its input with zod, and checks the caller's role (roles.ts).
 */
import type { RouteModule } from '../ingress/create-app.ts';
import type { AdminDeps } from './admin-deps.ts';
import { registerApiRoutes } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { createApiKeysRoutes } from './api-keys-routes.ts';
import { createConnectionsRoutes } from './connections-routes.ts';
import { createAnalyticsRoutes } from './analytics-routes.ts';
import { createRecordsRoutes } from './records-routes.ts';
import { createAuditRoutes } from './audit-routes.ts';
import { createApiCallerAuthenticator } from './authenticate-api-caller.ts';
import { createAuthorizedAppsRoutes } from './authorized-apps-routes.ts';
import { createInvitationsRoutes } from './invitations-routes.ts';
import { createMeRoutes } from './me-routes.ts';
import { createMemberSecretsRoutes } from './member-secrets-routes.ts';
import { createMembersRoutes } from './members-routes.ts';
import { OPENAPI_PATH, buildOpenApiDocument } from './openapi.ts';
import { createServerStatusRoute } from './server-status-route.ts';
import { createServerProbeRoutes } from './server-probe-routes.ts';
import { createServersRoutes } from './servers-routes.ts';
import { createUsageLimitsRoutes } from './usage-limits-routes.ts';
import { createPolicyRoutes } from './policy-routes.ts';
import { createUsersRoutes } from './users-routes.ts';
import { createWorkspacesRoutes } from './workspaces-routes.ts';

export type { AdminDeps } from './admin-deps.ts';

/** Session cookie name for the document (the sign-in module names it by scheme). */
function sessionCookieName(publicUrl: string): string {
  return publicUrl.startsWith('https:') ? '__Host-portcullis_session' : 'portcullis_session';
}

export function adminRoutes(deps: AdminDeps): ApiRoute[] {
  return [
    ...createMeRoutes(deps),
    ...createAuthorizedAppsRoutes(deps),
    ...createUsersRoutes(deps),
    ...createWorkspacesRoutes(deps),
    ...createServersRoutes(deps),
    createServerStatusRoute(deps),
    ...createServerProbeRoutes(deps),
    ...createMemberSecretsRoutes(deps),
    ...createMembersRoutes(deps),
    ...createInvitationsRoutes(deps),
    ...createApiKeysRoutes(deps),
    ...createRecordsRoutes(deps),
    ...createAnalyticsRoutes(deps),
    ...createAuditRoutes(deps),
    ...createUsageLimitsRoutes(deps),
    ...createPolicyRoutes(deps),
    ...createConnectionsRoutes(deps),
  ];
}

export function createAdminApi(deps: AdminDeps): RouteModule {
  // Every administrative write of the routes is recorded (src/audit).
  const routes = adminRoutes({ ...deps, store: deps.audit.watch(deps.store) });
  const authenticate = createApiCallerAuthenticator(deps);
  let document: string | undefined;
  return (app) => {
    app.get(OPENAPI_PATH, async (_request, reply) => {
      document ??= JSON.stringify(
        buildOpenApiDocument(routes, {
          publicUrl: deps.config.publicUrl,
          sessionCookie: sessionCookieName(deps.config.publicUrl),
        }),
      );
      return reply.type('application/json').send(document);
    });
    registerApiRoutes(app, routes, authenticate, deps.audit);
  };
}
