/**
 * The gateway's OAuth 2.1 authorization server (oidc-provider), issuing
 * RFC 9068 access tokens for exactly one MCP resource each. The issuer is
 * `publicUrl` byte for byte: clients compare it with the protected-resource
 * metadata without normalisation (RFC 8414 §3.3), so it is never rebuilt
 * from a URL object.
 */
import type { IncomingMessage } from 'node:http';
import type { JWK } from 'jose';
import Provider from 'oidc-provider';
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../../config/runtime-config.ts';
import type { RouteModule } from '../../ingress/create-app.ts';
import type { Store } from '../../store/store.ts';
import { createAccessTokenRevocation } from './access-token-revocation.ts';
import {
  createClientMetadataFetch,
  PRESEEDED_CLIENT_METADATA,
} from './client-metadata-documents.ts';
import { createInteractions } from './interactions.ts';
import type { Interactions } from './interactions.ts';
import { createOidcAdapter } from './oidc-adapter.ts';
import { createProviderConfiguration } from './provider-configuration.ts';
import { createProviderRoutes } from './provider-routes.ts';
import { createRegistrationLimits } from './registration-limits.ts';
import type { RegistrationLimits } from './registration-limits.ts';
import { loadSigningKeys } from './signing-keys.ts';
import { createVault } from '../upstream-credentials/vault.ts';
import type { Vault } from '../upstream-credentials/vault.ts';
import { createTokenResourceCheck } from './token-resource-check.ts';
import { parseResourceUrl } from './resource-url.ts';
import { canReach } from '../resource/member-access.ts';

const SWEEP_INTERVAL_MS = 10 * 60_000;

export interface AuthorizationServer {
  /** Provider endpoints + /.well-known/oauth-authorization-server + /.well-known/openid-configuration. */
  readonly routeModule: RouteModule;
  readonly interactions: Interactions;
  /** Public JWKs (ES256) that verify the access tokens; the resource server uses them. */
  verificationKeys(): readonly JWK[];
  /** The private JWK new signatures use (identity forwarding signs with it too). */
  activeSigningKey(): JWK;
  /** Called with a grant id whenever a grant is revoked/destroyed (consent revoked, code replay, refresh reuse). */
  onGrantRevoked(listener: (grantId: string) => void): void;
  close(): Promise<void>;
}

export interface AuthorizationServerDeps {
  config: RuntimeConfig;
  store: Store;
  secretKey: string;
  /**
   * Seals dynamically registered clients' secrets and the signing keys;
   * by default a vault over `secretKey` and `config.previousSecretKeys`.
   */
  vault?: Vault;
  logger: Logger;
  /** True when `<publicUrl>/<ws>/<srv>/mcp` names a configured server (route table lookup). */
  isResource(workspaceId: string, serverId: string): boolean;
  /**
   * The account of the request's browser session (the sign-in pages'), else
   * undefined. The provider's own session counts only together with it.
   */
  currentUserId(req: IncomingMessage): Promise<string | undefined>;
  /** Registration limits; by default in memory (one instance). */
  registrationLimits?: RegistrationLimits;
}

export async function createAuthorizationServer(
  deps: AuthorizationServerDeps,
): Promise<AuthorizationServer> {
  const { config, store, logger } = deps;
  const listeners = new Set<(grantId: string) => void>();
  // oidc-provider revokes a grant model by model; tell listeners once per grant and burst.
  const recentlyNotified = new Set<string>();
  const notifyGrantRevoked = (grantId: string): void => {
    if (recentlyNotified.has(grantId)) return;
    recentlyNotified.add(grantId);
    setTimeout(() => recentlyNotified.delete(grantId), 1_000).unref();
    for (const listener of listeners) {
      try {
        listener(grantId);
      } catch (error) {
        logger.error({ err: error, grantId }, 'grant revocation listener failed');
      }
    }
  };

  const vault =
    deps.vault ??
    createVault({ secretKey: deps.secretKey, previousSecretKeys: config.previousSecretKeys });
  const keys = await loadSigningKeys({
    store,
    vault,
    legacySecretKeys: [deps.secretKey, ...config.previousSecretKeys],
  });
  const guardedFetch = createClientMetadataFetch({ allowPrivate: config.oauthFetchAllowPrivate });
  const findGrantId = async (accountId: string, clientId: string): Promise<string | undefined> => {
    const grants = await store.oauthArtefacts.listByAccount('Grant', accountId, new Date());
    return grants.find((grant) => grant.clientId === clientId)?.id;
  };

  const configuration = createProviderConfiguration({
    config,
    store,
    secretKey: deps.secretKey,
    adapter: createOidcAdapter({
      store,
      vault,
      preseededClients: PRESEEDED_CLIENT_METADATA,
      onGrantRevoked: notifyGrantRevoked,
    }),
    signingKeys: keys.signing,
    guardedFetch,
    isResource: (workspaceId, serverId) => deps.isResource(workspaceId, serverId),
    findGrantId,
    currentUserId: (req) => deps.currentUserId(req),
  });
  const provider = new Provider(config.publicUrl, configuration);
  provider.proxy = config.trustProxy;

  const limits = deps.registrationLimits ?? createRegistrationLimits();
  const pendingRegistrations = new WeakMap<IncomingMessage, string>();
  provider.on('registration_create.success', (ctx, client) => {
    const key = pendingRegistrations.get((ctx as { req: IncomingMessage }).req);
    if (key !== undefined) limits.remember(key, (client as { clientId: string }).clientId);
  });
  provider.on('grant.revoked', (_ctx, grantId) => notifyGrantRevoked(String(grantId)));
  provider.on('server_error', (_ctx, error) =>
    logger.error({ err: error }, 'authorization server error'),
  );

  const revokeGrant = async (grantId: string): Promise<void> => {
    await store.oauthArtefacts.revokeByGrantId(grantId);
    await store.oauthArtefacts.destroy('Grant', grantId);
    notifyGrantRevoked(grantId);
  };
  const accessTokenRevocation = createAccessTokenRevocation({
    issuer: config.publicUrl,
    verificationKeys: keys.verification,
    findClient: (clientId) => provider.Client.find(clientId),
    revokeGrant,
  });

  const interactions = createInteractions({
    provider,
    store,
    publicUrl: config.publicUrl,
    findGrantId,
  });
  const routeModule = createProviderRoutes({
    callback: provider.callback(),
    limits,
    async findClientMetadata(clientId) {
      return (await provider.Client.find(clientId))?.metadata();
    },
    pendingRegistrations,
    accessTokenRevocation,
    tokenResourceCheck: createTokenResourceCheck({
      findCode: (code) => provider.AuthorizationCode.find(code, { ignoreExpiration: true }),
      findRefreshToken: (token) => provider.RefreshToken.find(token, { ignoreExpiration: true }),
      async mayReach(accountId, resource) {
        const target = parseResourceUrl(config.publicUrl, resource);
        if (target === undefined || !deps.isResource(target.workspaceId, target.serverId))
          return false;
        return canReach(await store.members.find(target.workspaceId, accountId), target.serverId);
      },
    }),
  });

  // Expired codes, sessions, interactions and tokens are dead rows: sweep them off the request path.
  const sweeper = setInterval(() => {
    store.oauthArtefacts
      .removeExpired(new Date())
      .catch((error: unknown) =>
        logger.warn({ err: error }, 'sweeping expired OAuth artefacts failed'),
      );
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();

  return {
    routeModule,
    interactions,
    verificationKeys: () => keys.verification,
    activeSigningKey: () => keys.signing[0]!,
    onGrantRevoked(listener) {
      listeners.add(listener);
    },
    async close() {
      clearInterval(sweeper);
      listeners.clear();
      await guardedFetch.close();
    },
  };
}
