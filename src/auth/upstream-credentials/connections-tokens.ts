/**
 * Upstream access tokens for calls: `accessTokenFor(server, principal)`
 * gives a token valid for at least REFRESH_AHEAD_MS, refreshing it first
 * when it is about to expire.
 *
 * One refresh per connection at a time: in this process (one shared
 * promise) and across instances (a lease in the store, taken after a Redis
 * lease when instances share Redis; the others wait for the new token to
 * appear). Refresh tokens rotate, so two concurrent
 * refreshes with the same one would end the grant at most ASes.
 *
 * `invalid_grant` marks the connection broken with its reason; the member
 * is told through `upstream_connection_required`, which carries the connect
 * URL. Transient failures are retried with backoff, and a token that is
 * still valid keeps being used meanwhile.
 */
import crypto from 'node:crypto';
import type { Principal } from '../resource/principal.ts';
import type { ServerDefinition, UpstreamConnection } from '../../store/model.ts';
import { GatewayError, isGatewayError } from '../../shared/errors.ts';
import type { TokenSet } from '../upstream-oauth/upstream-oauth-client.ts';
import type { Leases, ReleaseLease } from '../../shared-state/leases.ts';
import type { ConnectionsContext } from './connections-context.ts';
import { ACCESS_TOKEN_PURPOSE, REFRESH_TOKEN_PURPOSE } from './connections-context.ts';

/** Refresh when less than this is left (clock skew, and the call itself). */
export const REFRESH_AHEAD_MS = 60_000;
/** How long an opened token is reused before the store is read again. */
const CACHE_MS = 30_000;
const LEASE_MS = 30_000;
const WAIT_STEP_MS = 100;
const BACKOFF_MS = [250, 1_000];
/** After a refresh failed for a transient reason, calls fail fast this long. */
const COOL_DOWN_MS = 5_000;

export interface ConnectionTokens {
  /**
   * A valid access token for calls by `principal` to `server`. `rejected`:
   * the token the upstream just refused (HTTP 401); it is not given again.
   * Throws `upstream_connection_required` (data: connect_url, reason) when
   * the owner has no usable grant.
   */
  accessTokenFor(
    server: ServerDefinition,
    principal: Pick<Principal, 'userId'>,
    options?: { rejected?: string },
  ): Promise<string>;
  /** The upstream refused a fresh token too: the connection is broken. */
  markRefused(server: ServerDefinition, principal: Pick<Principal, 'userId'>): Promise<void>;
  /** Stores the tokens of a completed grant (the connect flow). */
  save(
    server: ServerDefinition,
    ownerId: string,
    issuer: string,
    tokens: TokenSet,
    /** Omitted (undefined) keeps who connected it. */
    connectedBy: string | null | undefined,
  ): Promise<UpstreamConnection>;
  /** Drops what this process remembers of a connection (disconnect). */
  forget(server: ServerDefinition, ownerId: string): void;
}

interface Cached {
  token: string;
  until: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ConnectionTokensOptions {
  /**
   * Shared leases (Redis): waiting instances poll Redis instead of the store
   * while one refreshes. The store lease is still taken under it, so a
   * Redis outage or an instance without Redis never allows two refreshes.
   */
  readonly leases?: Leases;
}

export function createConnectionTokens(
  context: ConnectionsContext,
  options: ConnectionTokensOptions = {},
): ConnectionTokens {
  const { store, vault } = context;
  const holder = crypto.randomUUID();
  const cache = new Map<string, Cached>();
  const inflight = new Map<string, Promise<string>>();
  const coolDown = new Map<string, { until: number; error: GatewayError }>();

  const keyOf = (server: ServerDefinition, ownerId: string) =>
    `${server.workspaceId}/${server.id}|${ownerId}`;

  const required = (server: ServerDefinition, reason: string, cause?: unknown) => {
    const shared = context.settingsOf(server).grant !== 'per_user';
    return new GatewayError(
      'upstream_connection_required',
      shared
        ? `The server ${server.workspaceId}/${server.id} needs its shared upstream account connected by a workspace admin (${reason}).`
        : `Connect your account for ${server.workspaceId}/${server.id} first (${reason}): open ${context.connectUrl(server)}`,
      {
        data: { connect_url: context.connectUrl(server), connection: reason, shared },
        ...(cause === undefined ? {} : { cause }),
      },
    );
  };

  const open = (purpose: string, sealed: string, server: ServerDefinition): string => {
    try {
      return vault.open(purpose, sealed);
    } catch (error) {
      throw new GatewayError(
        'secret_unreadable',
        `The upstream token for ${server.workspaceId}/${server.id} cannot be decrypted with the configured secret keys.`,
        { cause: error },
      );
    }
  };

  const isFresh = (connection: UpstreamConnection, at: number) =>
    connection.expiresAt === null || connection.expiresAt.getTime() - at > REFRESH_AHEAD_MS;
  const isUsable = (connection: UpstreamConnection, at: number) =>
    connection.expiresAt === null || connection.expiresAt.getTime() > at;

  const remember = (key: string, token: string, expiresAt: Date | null): string => {
    const at = context.now();
    const until = Math.min(
      at + CACHE_MS,
      expiresAt === null ? Infinity : expiresAt.getTime() - REFRESH_AHEAD_MS,
    );
    if (until > at) cache.set(key, { token, until });
    return token;
  };

  const save: ConnectionTokens['save'] = (server, ownerId, issuer, tokens, connectedBy) =>
    store.upstreamConnections.save({
      workspaceId: server.workspaceId,
      serverId: server.id,
      ownerId,
      issuer,
      accessToken: vault.seal(ACCESS_TOKEN_PURPOSE, tokens.accessToken),
      refreshToken:
        tokens.refreshToken === undefined
          ? null
          : vault.seal(REFRESH_TOKEN_PURPOSE, tokens.refreshToken),
      tokenType: tokens.tokenType,
      expiresAt: tokens.expiresAt === undefined ? null : new Date(tokens.expiresAt),
      scope: tokens.scope ?? null,
      ...(connectedBy === undefined ? {} : { connectedBy }),
    });

  /** Calls `grant`, retrying transient failures with backoff. */
  const withBackoff = async (grant: () => Promise<TokenSet>): Promise<TokenSet> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await grant();
      } catch (error) {
        const delay = BACKOFF_MS[attempt];
        if (!isGatewayError(error) || !error.retryable || delay === undefined) throw error;
        await sleep(delay);
      }
    }
  };

  /** The new grant under the lease: refresh, or a new client_credentials token. */
  const renew = async (
    server: ServerDefinition,
    ownerId: string,
    current: UpstreamConnection | undefined,
  ): Promise<string> => {
    const settings = context.settingsOf(server);
    const discovery = await context.discover(server);
    const registration = await context.registration(server, discovery);
    const resource = context.resourceOf(server, discovery);
    const scopes = settings.scopes.length > 0 ? settings.scopes : undefined;
    const options = {
      ...(resource === undefined ? {} : { resource }),
      ...(scopes === undefined ? {} : { scopes }),
    };
    let tokens: TokenSet;
    // RFC 6749 §4.4.3: client credentials need no refresh token; a new grant is as cheap.
    if (settings.grant !== 'client_credentials' && current?.refreshToken != null) {
      const refreshToken = open(REFRESH_TOKEN_PURPOSE, current.refreshToken, server);
      tokens = await withBackoff(() =>
        context.oauthClient.refresh(discovery.metadata, registration, refreshToken, options),
      );
      // RFC 6749 §6: without a new refresh token the old one stays valid.
      if (tokens.refreshToken === undefined) tokens = { ...tokens, refreshToken };
    } else if (settings.grant === 'client_credentials') {
      // No earlier grant to inherit scopes from: ask for the discovered ones (MCP scope selection).
      const requested = scopes ?? (discovery.scopes.length > 0 ? discovery.scopes : undefined);
      tokens = await withBackoff(() =>
        context.oauthClient.clientCredentials(discovery.metadata, registration, {
          ...options,
          ...(requested === undefined ? {} : { scopes: requested }),
        }),
      );
    } else {
      throw new GatewayError(
        'upstream_grant_invalid',
        'the token expired and no refresh token was issued',
      );
    }
    const saved = await save(server, ownerId, discovery.issuer, tokens, undefined);
    return remember(keyOf(server, ownerId), tokens.accessToken, saved.expiresAt);
  };

  /** The shared lease when there is one; `null` when another instance holds it. */
  const sharedLease = async (leaseKey: string): Promise<ReleaseLease | null | undefined> => {
    if (options.leases === undefined) return undefined;
    try {
      return (await options.leases.acquire(leaseKey, LEASE_MS)) ?? null;
    } catch {
      // Redis unreachable: the store lease alone still makes the refresh single-flight.
      return undefined;
    }
  };

  /** Both leases, or undefined when another holder has either. */
  const acquireLeases = async (leaseKey: string, at: number): Promise<ReleaseLease | undefined> => {
    const shared = await sharedLease(leaseKey);
    if (shared === null) return undefined;
    if (await store.leases.acquire(leaseKey, holder, new Date(at + LEASE_MS), new Date(at)))
      return async () => {
        await store.leases.release(leaseKey, holder);
        await shared?.();
      };
    await shared?.();
    return undefined;
  };

  /** Waits for the lease, or for another instance to store a fresh token. */
  const renewOnce = async (
    server: ServerDefinition,
    ownerId: string,
    rejected: string | undefined,
  ): Promise<string> => {
    const key = keyOf(server, ownerId);
    const leaseKey = `upstream-token:${key}`;
    const deadline = context.now() + LEASE_MS;
    // The gateway's own client can always ask again; a member's grant needs the member.
    const renewable = context.settingsOf(server).grant === 'client_credentials';
    const stillGood = (connection: UpstreamConnection | undefined): string | undefined => {
      if (connection === undefined || connection.status !== 'connected') return undefined;
      if (!isFresh(connection, context.now())) return undefined;
      const token = open(ACCESS_TOKEN_PURPOSE, connection.accessToken, server);
      return token === rejected ? undefined : remember(key, token, connection.expiresAt);
    };
    let release: ReleaseLease | undefined;
    for (;;) {
      release = await acquireLeases(leaseKey, context.now());
      if (release !== undefined) break;
      await sleep(WAIT_STEP_MS);
      const connection = await store.upstreamConnections.find(
        server.workspaceId,
        server.id,
        ownerId,
      );
      if (connection?.status === 'broken' && !renewable)
        throw required(server, connection.brokenReason ?? 'broken');
      const token = stillGood(connection);
      if (token !== undefined) return token;
      if (context.now() > deadline)
        throw new GatewayError(
          'upstream_oauth_unavailable',
          `Another instance is refreshing the upstream token of ${server.workspaceId}/${server.id}; try again.`,
        );
    }
    let current: UpstreamConnection | undefined;
    try {
      // Under the lease: another holder may have refreshed it just before.
      current = await store.upstreamConnections.find(server.workspaceId, server.id, ownerId);
      if (current?.status === 'broken' && !renewable)
        throw required(server, current.brokenReason ?? 'broken');
      const token = stillGood(current);
      if (token !== undefined) return token;
      if (current === undefined && !renewable) throw required(server, 'not connected');
      return await renew(server, ownerId, current);
    } catch (error) {
      if (isGatewayError(error) && error.code === 'upstream_grant_invalid') {
        const reason = `the upstream refused the grant: ${error.message}`.slice(0, 300);
        await store.upstreamConnections.markBroken(
          server.workspaceId,
          server.id,
          ownerId,
          reason,
          new Date(context.now()),
        );
        throw required(server, reason, error);
      }
      if (isGatewayError(error) && error.retryable) {
        coolDown.set(key, { until: context.now() + COOL_DOWN_MS, error });
        // The old token still works for a while: keep serving it.
        if (current !== undefined && isUsable(current, context.now()) && rejected === undefined)
          return open(ACCESS_TOKEN_PURPOSE, current.accessToken, server);
      }
      throw error;
    } finally {
      await release();
    }
  };

  const load = async (
    server: ServerDefinition,
    ownerId: string,
    rejected: string | undefined,
  ): Promise<string> => {
    const key = keyOf(server, ownerId);
    const connection = await store.upstreamConnections.find(server.workspaceId, server.id, ownerId);
    const grant = context.settingsOf(server).grant;
    if (connection === undefined && grant !== 'client_credentials')
      throw required(server, 'not connected');
    if (connection?.status === 'broken' && grant !== 'client_credentials')
      throw required(server, connection.brokenReason ?? 'broken');
    if (connection !== undefined && connection.status === 'connected') {
      const at = context.now();
      if (isFresh(connection, at)) {
        const token = open(ACCESS_TOKEN_PURPOSE, connection.accessToken, server);
        if (token !== rejected) return remember(key, token, connection.expiresAt);
      }
    }
    const cooling = coolDown.get(key);
    if (cooling !== undefined && cooling.until > context.now()) throw cooling.error;
    let pending = inflight.get(key);
    if (pending === undefined) {
      pending = renewOnce(server, ownerId, rejected).finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    return pending;
  };

  return {
    save,
    async accessTokenFor(server, principal, options = {}) {
      const ownerId = context.ownerOf(server, principal.userId);
      const key = keyOf(server, ownerId);
      const cached = cache.get(key);
      if (cached !== undefined) {
        if (cached.until > context.now() && cached.token !== options.rejected) return cached.token;
        cache.delete(key);
      }
      return load(server, ownerId, options.rejected);
    },
    async markRefused(server, principal) {
      const ownerId = context.ownerOf(server, principal.userId);
      cache.delete(keyOf(server, ownerId));
      await store.upstreamConnections.markBroken(
        server.workspaceId,
        server.id,
        ownerId,
        'the upstream refused a freshly refreshed token (HTTP 401)',
        new Date(context.now()),
      );
    },
    forget(server, ownerId) {
      const key = keyOf(server, ownerId);
      cache.delete(key);
      coolDown.delete(key);
    },
  };
}
