/**
 * The browser pages of the gateway: dashboard sign-in, first-run setup,
 * invitations, and the authorization server's sign-in and consent pages.
 */
import type { Logger } from 'pino';
import type { AuditLog } from '../../audit/audit-log.ts';
import type { RuntimeConfig } from '../../config/runtime-config.ts';
import type { RouteModule } from '../../ingress/create-app.ts';
import type { Store } from '../../store/store.ts';
import { createCsrf } from './csrf.ts';
import type { FirstRunSetup } from './first-run-setup.ts';
import type { Interactions } from './interactions-port.ts';
import { registerInteractionRoutes } from './interaction-routes.ts';
import { registerInvitationRoutes } from './invitation-routes.ts';
import { registerLoginRoutes } from './login-routes.ts';
import type { SignInLink, UpstreamConsent } from './page-context.ts';
import { STYLESHEET, STYLESHEET_PATH } from './page-response.ts';
import { registerSetupRoutes } from './setup-routes.ts';
import type { SignIn } from './sign-in.ts';

export function createSignInRoutes(deps: {
  config: RuntimeConfig;
  store: Store;
  signIn: SignIn;
  interactions: Interactions;
  logger: Logger;
  /** One-time first-run setup (its link is printed at start while no user exists). */
  setup: FirstRunSetup;
  /** Single sign-on, when configured: its link is shown on both sign-in pages. */
  sso?: SignInLink | undefined;
  /** Upstream accounts a consent connects first, in the same browser trip (upstream OAuth). */
  upstreamConsent?: UpstreamConsent | undefined;
  /** Names the person behind setup and invitation changes; `store` should be `audit.watch(store)`. */
  audit?: Pick<AuditLog, 'actingAs'> | undefined;
}): RouteModule {
  const { sso, upstreamConsent, audit, ...rest } = deps;
  const context = {
    ...rest,
    ...(sso === undefined ? {} : { sso }),
    ...(upstreamConsent === undefined ? {} : { upstreamConsent }),
    ...(audit === undefined ? {} : { audit }),
    csrf: createCsrf({ publicUrl: deps.config.publicUrl }),
  };
  return (app) => {
    app.get(STYLESHEET_PATH, async (_request, reply) =>
      reply
        .type('text/css; charset=utf-8')
        .header('cache-control', 'public, max-age=3600')
        .header('x-content-type-options', 'nosniff')
        .send(STYLESHEET),
    );
    registerLoginRoutes(app, context);
    registerSetupRoutes(app, context);
    registerInvitationRoutes(app, context);
    registerInteractionRoutes(app, context);
  };
}
