/**
 * Upstream OAuth connections, composed: the token provider, the call
 * decorator, the connect flow, the consent detour and the browser routes,
 * over one store, vault and OAuth client. main.ts wires the parts.
 */
import type { Logger } from 'pino';
import type { RouteModule } from '../../ingress/create-app.ts';
import type { Store } from '../../store/store.ts';
import type { SignIn } from '../sign-in/sign-in.ts';
import type { Interactions } from '../sign-in/interactions-port.ts';
import type { UpstreamOAuthClient } from '../upstream-oauth/upstream-oauth-client.ts';
import { createConnectionsContext } from './connections-context.ts';
import type { ConnectionsContext } from './connections-context.ts';
import { createConsentDetour } from './connections-consent.ts';
import type { ConsentDetour } from './connections-consent.ts';
import { createConnectionsFlow } from './connections-flow.ts';
import type { ConnectionsFlow } from './connections-flow.ts';
import { createConnectionsRoutes } from './connections-routes.ts';
import { createConnectionTokens } from './connections-tokens.ts';
import type { ConnectionTokens } from './connections-tokens.ts';
import { createUpstreamOAuthCredentials } from './upstream-oauth-credentials.ts';
import type { UpstreamOAuthCredentials } from './upstream-oauth-credentials.ts';
import type { Vault } from './vault.ts';
import type { Leases } from '../../shared-state/leases.ts';

export interface Connections {
  readonly context: ConnectionsContext;
  readonly tokens: ConnectionTokens;
  readonly credentials: UpstreamOAuthCredentials;
  readonly flow: ConnectionsFlow;
  readonly consent: ConsentDetour;
  readonly routeModule: RouteModule;
}

export function createConnections(deps: {
  store: Store;
  vault: Vault;
  oauthClient: UpstreamOAuthClient;
  publicUrl: string;
  signIn: Pick<SignIn, 'currentSession'>;
  interactions?: Interactions;
  logger: Logger;
  now?: () => number;
  /** Shared leases (Redis) for single-flight token refreshes across instances. */
  leases?: Leases;
}): Connections {
  const context = createConnectionsContext({
    store: deps.store,
    vault: deps.vault,
    oauthClient: deps.oauthClient,
    publicUrl: deps.publicUrl,
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
  const tokens = createConnectionTokens(context, deps.leases ? { leases: deps.leases } : {});
  const flow = createConnectionsFlow({
    context,
    tokens,
    findServer: (workspaceId, serverId) => deps.store.servers.find(workspaceId, serverId),
    onRevocationFailed: (server, error) =>
      deps.logger.warn(
        { err: error, server: `${server.workspaceId}/${server.id}` },
        'the upstream did not revoke a disconnected grant',
      ),
  });
  const consent = createConsentDetour({
    store: deps.store,
    vault: deps.vault,
    flow,
    logger: deps.logger,
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
  return {
    context,
    tokens,
    credentials: createUpstreamOAuthCredentials({ tokens }),
    flow,
    consent,
    routeModule: createConnectionsRoutes({
      store: deps.store,
      signIn: deps.signIn,
      flow,
      detour: consent,
      publicUrl: deps.publicUrl,
      logger: deps.logger,
      ...(deps.interactions === undefined ? {} : { interactions: deps.interactions }),
    }),
  };
}
