/**
 * What connecting to, and refreshing at, one OAuth upstream needs: its
 * discovery (cached per server URL), the gateway's client registration at
 * its authorization server (admin-provided, or registered and stored
 * sealed), who owns a connection, and where a member connects.
 *
 * Which registrations are shared (RFC 7591 clients the gateway registers):
 * - authorization code (per_user, shared): one client per issuer and redirect
 *   URI, for every workspace. The identity upstream is the account whose
 *   owner consented; the client only names the gateway, as one app is shared
 *   by all its users anywhere.
 * - client_credentials: one client per issuer and workspace. The token's
 *   subject IS the client (RFC 6749 §4.4), so a client shared by two
 *   workspaces would make them one upstream principal, seeing each other's
 *   data. Servers of one workspace share its client (one tenant); a server
 *   needing an identity of its own gets a pre-registered `client_id`.
 */
import type { ServerDefinition, UpstreamOAuthSettings } from '../../store/model.ts';
import { WORKSPACE_OWNER } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';
import { GatewayError } from '../../shared/errors.ts';
import { upstreamCallbackUrl } from '../upstream-oauth/upstream-oauth-client.ts';
import type {
  ClientRegistration,
  UpstreamDiscovery,
  UpstreamOAuthClient,
  UpstreamOAuthQuirks,
} from '../upstream-oauth/upstream-oauth-client.ts';
import { OAUTH_CLIENT_SECRET_PURPOSE } from './upstream-auth-secrets.ts';
import type { Vault } from './vault.ts';

export const ACCESS_TOKEN_PURPOSE = 'upstream-access-token';
export const REFRESH_TOKEN_PURPOSE = 'upstream-refresh-token';
export const REGISTRATION_SECRET_PURPOSE = 'upstream-registration-secret';
export const AUTHORIZATION_PURPOSE = 'upstream-authorization';

const DISCOVERY_TTL_MS = 3_600_000;
/**
 * Registrations for the client_credentials grant have no redirect URI; this
 * names a workspace's row. (Migration 0013 drops the row once shared by all.)
 */
export function clientCredentialsKey(workspaceId: string): string {
  return `urn:portcullis:client_credentials:workspace:${encodeURIComponent(workspaceId)}`;
}

export interface ConnectionsContextDeps {
  readonly store: Store;
  readonly vault: Vault;
  readonly oauthClient: UpstreamOAuthClient;
  /** The gateway's public base URL (no trailing slash). */
  readonly publicUrl: string;
  readonly now?: () => number;
}

export interface ConnectionsContext {
  readonly store: Store;
  readonly vault: Vault;
  readonly oauthClient: UpstreamOAuthClient;
  readonly publicUrl: string;
  readonly redirectUri: string;
  now(): number;
  /** The server's OAuth settings; throws `bad_request` for servers of another mode. */
  settingsOf(server: ServerDefinition): UpstreamOAuthSettings;
  /** The connection owner: the member (per_user) or the workspace. */
  ownerOf(server: ServerDefinition, userId: string): string;
  /** `<publicUrl>/connections/<ws>/<srv>/connect`. */
  connectUrl(server: Pick<ServerDefinition, 'workspaceId' | 'id'>): string;
  discover(server: ServerDefinition, options?: { refresh?: boolean }): Promise<UpstreamDiscovery>;
  registration(server: ServerDefinition, discovery: UpstreamDiscovery): Promise<ClientRegistration>;
  quirks(server: ServerDefinition): UpstreamOAuthQuirks;
  /** The RFC 8707 resource to send, unless the server omits it. */
  resourceOf(server: ServerDefinition, discovery: UpstreamDiscovery): string | undefined;
}

export function createConnectionsContext(deps: ConnectionsContextDeps): ConnectionsContext {
  const now = deps.now ?? Date.now;
  const redirectUri = upstreamCallbackUrl(deps.publicUrl);
  const discoveries = new Map<string, { at: number; value: Promise<UpstreamDiscovery> }>();
  const registering = new Map<string, Promise<ClientRegistration>>();

  const settingsOf = (server: ServerDefinition): UpstreamOAuthSettings => {
    if (server.upstreamAuth.mode !== 'oauth')
      throw new GatewayError(
        'bad_request',
        `Server ${server.workspaceId}/${server.id} does not use upstream OAuth.`,
      );
    return server.upstreamAuth.oauth;
  };

  const preRegistered = (settings: UpstreamOAuthSettings) => {
    if (settings.clientId === null) return undefined;
    let clientSecret: string | undefined;
    if (settings.clientSecret !== null) {
      try {
        clientSecret = deps.vault.open(OAUTH_CLIENT_SECRET_PURPOSE, settings.clientSecret);
      } catch (error) {
        throw new GatewayError(
          'secret_unreadable',
          'The upstream OAuth client secret cannot be decrypted with the configured secret keys.',
          { cause: error },
        );
      }
    }
    return { clientId: settings.clientId, ...(clientSecret === undefined ? {} : { clientSecret }) };
  };

  const registerAndStore = async (
    server: ServerDefinition,
    discovery: UpstreamDiscovery,
    key: string,
  ): Promise<ClientRegistration> => {
    const grant = settingsOf(server).grant;
    const registration = await deps.oauthClient.register(discovery.metadata, {
      redirectUri,
      scopes: settingsOf(server).scopes.length > 0 ? settingsOf(server).scopes : discovery.scopes,
      grantType: grant === 'client_credentials' ? 'client_credentials' : 'authorization_code',
    });
    await deps.store.upstreamClients.save({
      issuer: discovery.issuer,
      redirectUri: key,
      clientId: registration.clientId,
      clientSecret:
        registration.clientSecret === undefined
          ? null
          : deps.vault.seal(REGISTRATION_SECRET_PURPOSE, registration.clientSecret),
      clientSecretExpiresAt:
        registration.clientSecretExpiresAt === undefined || registration.clientSecretExpiresAt === 0
          ? null
          : new Date(registration.clientSecretExpiresAt * 1000),
      method: registration.method,
      tokenEndpointAuthMethod: registration.tokenEndpointAuthMethod,
      workspaceId: grant === 'client_credentials' ? server.workspaceId : null,
    });
    return registration;
  };

  return {
    store: deps.store,
    vault: deps.vault,
    oauthClient: deps.oauthClient,
    publicUrl: deps.publicUrl,
    redirectUri,
    now,
    settingsOf,
    ownerOf(server, userId) {
      return settingsOf(server).grant === 'per_user' ? userId : WORKSPACE_OWNER;
    },
    connectUrl(server) {
      return `${deps.publicUrl}/connections/${encodeURIComponent(server.workspaceId)}/${encodeURIComponent(server.id)}/connect`;
    },
    discover(server, options = {}) {
      if (server.url === null)
        throw new GatewayError(
          'bad_request',
          `Server ${server.workspaceId}/${server.id} has no URL.`,
        );
      const cached = discoveries.get(server.url);
      if (cached !== undefined && !options.refresh && now() - cached.at < DISCOVERY_TTL_MS)
        return cached.value;
      const value = deps.oauthClient.discover(server.url);
      discoveries.set(server.url, { at: now(), value });
      // A failed discovery is not remembered.
      value.catch(() => {
        if (discoveries.get(server.url!)?.value === value) discoveries.delete(server.url!);
      });
      return value;
    },
    async registration(server, discovery) {
      const settings = settingsOf(server);
      const given = preRegistered(settings);
      if (given !== undefined)
        return deps.oauthClient.register(discovery.metadata, { redirectUri, preRegistered: given });
      const key =
        settings.grant === 'client_credentials'
          ? clientCredentialsKey(server.workspaceId)
          : redirectUri;
      const stored = await deps.store.upstreamClients.find(discovery.issuer, key);
      const expired =
        stored?.clientSecretExpiresAt != null && stored.clientSecretExpiresAt.getTime() <= now();
      if (stored !== undefined && !expired) {
        let clientSecret: string | undefined;
        if (stored.clientSecret !== null) {
          try {
            clientSecret = deps.vault.open(REGISTRATION_SECRET_PURPOSE, stored.clientSecret);
          } catch (error) {
            throw new GatewayError(
              'secret_unreadable',
              `The client secret registered at ${discovery.issuer} cannot be decrypted with the configured secret keys.`,
              { cause: error },
            );
          }
        }
        return {
          issuer: stored.issuer,
          clientId: stored.clientId,
          ...(clientSecret === undefined ? {} : { clientSecret }),
          method: stored.method,
          tokenEndpointAuthMethod: stored.tokenEndpointAuthMethod,
          redirectUri,
        };
      }
      // One registration per issuer and key at a time in this process.
      const flightKey = `${discovery.issuer}\n${key}`;
      let pending = registering.get(flightKey);
      if (pending === undefined) {
        pending = registerAndStore(server, discovery, key).finally(() =>
          registering.delete(flightKey),
        );
        registering.set(flightKey, pending);
      }
      return pending;
    },
    quirks(server) {
      const settings = settingsOf(server);
      return {
        omitResource: settings.omitResource,
        extraAuthorizeParams: settings.authorizeParams,
        ...(settings.scopes.length > 0 ? { scopes: settings.scopes } : {}),
      };
    },
    resourceOf(server, discovery) {
      return settingsOf(server).omitResource ? undefined : discovery.resource;
    },
  };
}
