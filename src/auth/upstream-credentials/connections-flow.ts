/**
 * Connecting an upstream account: `start` sends the member's browser to the
 * upstream's authorization server (PKCE, state, RFC 8707 resource), `finish`
 * takes the callback, exchanges the code and stores the connection.
 *
 * The authorization in flight is stored under the hash of its `state`, its
 * PKCE verifier sealed, and is consumed once; only the member who started it
 * can finish it (the callback is bound to their browser session).
 */
import crypto from 'node:crypto';
import type { ServerDefinition } from '../../store/model.ts';
import { GatewayError } from '../../shared/errors.ts';
import type { PendingAuthorization } from '../upstream-oauth/upstream-oauth-client.ts';
import type { ConnectionsContext } from './connections-context.ts';
import {
  ACCESS_TOKEN_PURPOSE,
  AUTHORIZATION_PURPOSE,
  REFRESH_TOKEN_PURPOSE,
} from './connections-context.ts';
import type { ConnectionTokens } from './connections-tokens.ts';

const AUTHORIZATION_TTL_MS = 10 * 60_000;

export interface ConnectionsFlow {
  /** The upstream authorize URL for `userId` to connect `server` (the owner follows the grant). */
  start(server: ServerDefinition, userId: string, returnUrl: string | null): Promise<string>;
  /**
   * Finishes the authorization the callback URL names. Throws
   * `upstream_authorization_failed` for an unknown, expired, used or foreign
   * `state`, or an error from the AS.
   */
  finish(
    callbackUrl: URL,
    userId: string,
  ): Promise<{ server: ServerDefinition; returnUrl: string | null }>;
  /** Revokes the owner's grant at the AS (when it can), then deletes it; false when there was none. */
  disconnect(server: ServerDefinition, ownerId: string): Promise<boolean>;
}

export function hashState(state: string): string {
  return crypto.createHash('sha256').update(state).digest('base64url');
}

/** Only paths on this gateway: an open redirect would hand the browser to anyone. */
export function safeReturnUrl(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value === '' || value.length > 2048) return null;
  if (!value.startsWith('/') || value.startsWith('//')) return null;
  // Browsers drop tabs and newlines inside URLs and read `\` as `/`: never ours.
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x5c) return null;
  }
  return value;
}

export function createConnectionsFlow(deps: {
  context: ConnectionsContext;
  tokens: ConnectionTokens;
  /** The current definition of a server, or undefined when it is gone. */
  findServer(workspaceId: string, serverId: string): Promise<ServerDefinition | undefined>;
  /** Told when the AS could not revoke a disconnected grant (logged; the connection goes anyway). */
  onRevocationFailed?: (server: ServerDefinition, error: unknown) => void;
}): ConnectionsFlow {
  const { context, tokens } = deps;
  const { store, vault } = context;

  return {
    async start(server, userId, returnUrl) {
      const settings = context.settingsOf(server);
      if (settings.grant === 'client_credentials')
        throw new GatewayError(
          'bad_request',
          `Server ${server.workspaceId}/${server.id} uses the client_credentials grant: there is no account to connect.`,
        );
      const discovery = await context.discover(server, { refresh: true });
      const registration = await context.registration(server, discovery);
      const resource = context.resourceOf(server, discovery) ?? discovery.resource;
      const request = await context.oauthClient.authorizationRequest(
        discovery.metadata,
        registration,
        {
          redirectUri: context.redirectUri,
          resource,
          ...(settings.scopes.length > 0 ? {} : { scopes: discovery.scopes }),
          quirks: context.quirks(server),
        },
      );
      const at = context.now();
      await store.upstreamAuthorizations.removeExpired(new Date(at));
      await store.upstreamAuthorizations.create({
        stateHash: hashState(request.pending.state),
        workspaceId: server.workspaceId,
        serverId: server.id,
        ownerId: context.ownerOf(server, userId),
        userId,
        pending: vault.seal(AUTHORIZATION_PURPOSE, JSON.stringify(request.pending)),
        returnUrl: safeReturnUrl(returnUrl),
        expiresAt: new Date(at + AUTHORIZATION_TTL_MS),
      });
      return request.url;
    },

    async finish(callbackUrl, userId) {
      const state = callbackUrl.searchParams.get('state');
      if (state === null || state === '')
        throw new GatewayError('upstream_authorization_failed', 'The callback has no state.');
      const authorization = await store.upstreamAuthorizations.consume(
        hashState(state),
        new Date(context.now()),
      );
      if (authorization === undefined)
        throw new GatewayError(
          'upstream_authorization_failed',
          'This authorization is unknown, expired or already used; connect again.',
        );
      if (authorization.userId !== userId)
        throw new GatewayError(
          'upstream_authorization_failed',
          'This authorization was started by another account; connect again.',
        );
      const server = await deps.findServer(authorization.workspaceId, authorization.serverId);
      if (server === undefined || server.upstreamAuth.mode !== 'oauth')
        throw new GatewayError(
          'upstream_authorization_failed',
          'The server of this authorization no longer uses upstream OAuth.',
        );
      let pending: PendingAuthorization;
      try {
        pending = JSON.parse(
          vault.open(AUTHORIZATION_PURPOSE, authorization.pending),
        ) as PendingAuthorization;
      } catch (error) {
        throw new GatewayError(
          'upstream_authorization_failed',
          'This authorization cannot be read; connect again.',
          {
            cause: error,
          },
        );
      }
      const discovery = await context.discover(server);
      if (discovery.issuer !== pending.issuer)
        throw new GatewayError(
          'upstream_authorization_failed',
          'The upstream changed its authorization server during the authorization; connect again.',
        );
      const registration = await context.registration(server, discovery);
      const tokenSet = await context.oauthClient.exchangeCode(
        discovery.metadata,
        registration,
        pending,
        callbackUrl,
      );
      await tokens.save(server, authorization.ownerId, pending.issuer, tokenSet, userId);
      tokens.forget(server, authorization.ownerId);
      return { server, returnUrl: authorization.returnUrl };
    },

    async disconnect(server, ownerId) {
      tokens.forget(server, ownerId);
      const connection = await store.upstreamConnections.find(
        server.workspaceId,
        server.id,
        ownerId,
      );
      if (connection === undefined) return false;
      // RFC 7009, best effort: the gateway's copy goes whatever the AS answers.
      try {
        const discovery = await context.discover(server);
        if (discovery.issuer === connection.issuer) {
          const registration = await context.registration(server, discovery);
          if (connection.refreshToken !== null)
            await context.oauthClient.revoke(
              discovery.metadata,
              registration,
              vault.open(REFRESH_TOKEN_PURPOSE, connection.refreshToken),
              'refresh_token',
            );
          await context.oauthClient.revoke(
            discovery.metadata,
            registration,
            vault.open(ACCESS_TOKEN_PURPOSE, connection.accessToken),
            'access_token',
          );
        }
      } catch (error) {
        deps.onRevocationFailed?.(server, error);
      }
      return store.upstreamConnections.remove(server.workspaceId, server.id, ownerId);
    },
  };
}
