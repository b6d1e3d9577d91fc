/**
 * Storage of the gateway's upstream OAuth client side: registrations,
 * connections, authorizations in flight, and the leases that serialize token
 * refreshes across instances. Every secret arrives and leaves sealed.
 */
import type { Kysely, Selectable } from 'kysely';
import type { DialectCodec } from './dialect-codec.ts';
import type {
  UpstreamAuthorization,
  UpstreamConnection,
  UpstreamOAuthClientRecord,
} from './model.ts';
import type { Database } from './schema.ts';
import type { Store } from './store.ts';

type Row<T extends keyof Database> = Selectable<Database[T]>;

export interface UpstreamConnectionsRepositories {
  upstreamClients: Store['upstreamClients'];
  upstreamConnections: Store['upstreamConnections'];
  upstreamAuthorizations: Store['upstreamAuthorizations'];
  leases: Store['leases'];
}

export function createUpstreamConnectionsRepositories(
  db: Kysely<Database>,
  codec: DialectCodec,
): UpstreamConnectionsRepositories {
  const ts = (date: Date) => codec.toTimestamp(date);
  const nullableTs = (date: Date | null) => (date === null ? null : codec.toTimestamp(date));

  const toClient = (row: Row<'upstream_oauth_clients'>): UpstreamOAuthClientRecord => ({
    issuer: row.issuer,
    redirectUri: row.redirect_uri,
    clientId: row.client_id,
    clientSecret: row.client_secret,
    clientSecretExpiresAt: codec.fromNullableTimestamp(row.client_secret_expires_at),
    method: row.method as UpstreamOAuthClientRecord['method'],
    tokenEndpointAuthMethod:
      row.token_endpoint_auth_method as UpstreamOAuthClientRecord['tokenEndpointAuthMethod'],
    createdAt: codec.fromTimestamp(row.created_at),
    workspaceId: row.workspace_id,
  });

  const toConnection = (row: Row<'upstream_connections'>): UpstreamConnection => ({
    workspaceId: row.workspace_id,
    serverId: row.server_id,
    ownerId: row.owner_id,
    issuer: row.issuer,
    accessToken: row.access_token,
    refreshToken: row.refresh_token,
    tokenType: row.token_type,
    expiresAt: codec.fromNullableTimestamp(row.expires_at),
    scope: row.scope,
    status: row.status as UpstreamConnection['status'],
    brokenReason: row.broken_reason,
    connectedBy: row.connected_by,
    createdAt: codec.fromTimestamp(row.created_at),
    updatedAt: codec.fromTimestamp(row.updated_at),
  });

  const toAuthorization = (row: Row<'upstream_authorizations'>): UpstreamAuthorization => ({
    stateHash: row.state_hash,
    workspaceId: row.workspace_id,
    serverId: row.server_id,
    ownerId: row.owner_id,
    userId: row.user_id,
    pending: row.pending,
    returnUrl: row.return_url,
    createdAt: codec.fromTimestamp(row.created_at),
    expiresAt: codec.fromTimestamp(row.expires_at),
  });

  const connectionKey = (workspaceId: string, serverId: string, ownerId: string) =>
    db
      .selectFrom('upstream_connections')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('server_id', '=', serverId)
      .where('owner_id', '=', ownerId);

  return {
    upstreamClients: {
      async find(issuer, redirectUri) {
        const row = await db
          .selectFrom('upstream_oauth_clients')
          .selectAll()
          .where('issuer', '=', issuer)
          .where('redirect_uri', '=', redirectUri)
          .executeTakeFirst();
        return row === undefined ? undefined : toClient(row);
      },
      async save(record) {
        const fields = {
          client_id: record.clientId,
          client_secret: record.clientSecret,
          client_secret_expires_at: nullableTs(record.clientSecretExpiresAt),
          method: record.method,
          token_endpoint_auth_method: record.tokenEndpointAuthMethod,
          created_at: ts(new Date()),
          workspace_id: record.workspaceId ?? null,
        };
        const row = await db
          .insertInto('upstream_oauth_clients')
          .values({ issuer: record.issuer, redirect_uri: record.redirectUri, ...fields })
          .onConflict((c) => c.columns(['issuer', 'redirect_uri']).doUpdateSet(fields))
          .returningAll()
          .executeTakeFirstOrThrow();
        return toClient(row);
      },
      async list() {
        const rows = await db
          .selectFrom('upstream_oauth_clients')
          .selectAll()
          .orderBy('issuer')
          .orderBy('redirect_uri')
          .execute();
        return rows.map(toClient);
      },
      async remove(issuer, redirectUri) {
        await db
          .deleteFrom('upstream_oauth_clients')
          .where('issuer', '=', issuer)
          .where('redirect_uri', '=', redirectUri)
          .execute();
      },
    },

    upstreamConnections: {
      async find(workspaceId, serverId, ownerId) {
        const row = await connectionKey(workspaceId, serverId, ownerId).executeTakeFirst();
        return row === undefined ? undefined : toConnection(row);
      },
      async list(workspaceId, serverId) {
        let query = db
          .selectFrom('upstream_connections')
          .selectAll()
          .where('workspace_id', '=', workspaceId);
        if (serverId !== undefined) query = query.where('server_id', '=', serverId);
        const rows = await query.orderBy('server_id').orderBy('owner_id').execute();
        return rows.map(toConnection);
      },
      async listForUser(userId) {
        const rows = await db
          .selectFrom('upstream_connections')
          .selectAll()
          .where('user_id', '=', userId)
          .orderBy('workspace_id')
          .orderBy('server_id')
          .execute();
        return rows.map(toConnection);
      },
      async save(input) {
        const now = ts(new Date());
        const fields = {
          issuer: input.issuer,
          access_token: input.accessToken,
          refresh_token: input.refreshToken,
          token_type: input.tokenType,
          expires_at: nullableTs(input.expiresAt),
          scope: input.scope,
          status: 'connected',
          broken_reason: null,
          updated_at: now,
          ...(input.connectedBy === undefined ? {} : { connected_by: input.connectedBy }),
        };
        const row = await db
          .insertInto('upstream_connections')
          .values({
            workspace_id: input.workspaceId,
            server_id: input.serverId,
            owner_id: input.ownerId,
            user_id: input.ownerId === '' ? null : input.ownerId,
            created_at: now,
            connected_by: null,
            ...fields,
          })
          .onConflict((c) =>
            c.columns(['workspace_id', 'server_id', 'owner_id']).doUpdateSet(fields),
          )
          .returningAll()
          .executeTakeFirstOrThrow();
        return toConnection(row);
      },
      async markBroken(workspaceId, serverId, ownerId, reason, at) {
        await db
          .updateTable('upstream_connections')
          .set({ status: 'broken', broken_reason: reason.slice(0, 500), updated_at: ts(at) })
          .where('workspace_id', '=', workspaceId)
          .where('server_id', '=', serverId)
          .where('owner_id', '=', ownerId)
          .execute();
      },
      async remove(workspaceId, serverId, ownerId) {
        const removed = await db
          .deleteFrom('upstream_connections')
          .where('workspace_id', '=', workspaceId)
          .where('server_id', '=', serverId)
          .where('owner_id', '=', ownerId)
          .returning('owner_id')
          .execute();
        return removed.length > 0;
      },
      async reseal(workspaceId, serverId, ownerId, sealed) {
        await db
          .updateTable('upstream_connections')
          .set({ access_token: sealed.accessToken, refresh_token: sealed.refreshToken })
          .where('workspace_id', '=', workspaceId)
          .where('server_id', '=', serverId)
          .where('owner_id', '=', ownerId)
          .execute();
      },
    },

    upstreamAuthorizations: {
      async create(input) {
        const row = await db
          .insertInto('upstream_authorizations')
          .values({
            state_hash: input.stateHash,
            workspace_id: input.workspaceId,
            server_id: input.serverId,
            owner_id: input.ownerId,
            user_id: input.userId,
            pending: input.pending,
            return_url: input.returnUrl,
            created_at: ts(new Date()),
            expires_at: ts(input.expiresAt),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toAuthorization(row);
      },
      async consume(stateHash, now) {
        // Delete-returning: of two concurrent callbacks with one state, one wins.
        const row = await db
          .deleteFrom('upstream_authorizations')
          .where('state_hash', '=', stateHash)
          .returningAll()
          .executeTakeFirst();
        if (row === undefined) return undefined;
        const authorization = toAuthorization(row);
        return authorization.expiresAt.getTime() <= now.getTime() ? undefined : authorization;
      },
      async removeExpired(now) {
        const removed = await db
          .deleteFrom('upstream_authorizations')
          .where('expires_at', '<=', ts(now))
          .returning('state_hash')
          .execute();
        return removed.length;
      },
    },

    leases: {
      async acquire(key, holder, until, now) {
        const fields = { holder, expires_at: ts(until) };
        const row = await db
          .insertInto('leases')
          .values({ key, ...fields })
          .onConflict((c) =>
            c
              .column('key')
              .doUpdateSet(fields)
              .where((eb) =>
                eb.or([eb('leases.expires_at', '<=', ts(now)), eb('leases.holder', '=', holder)]),
              ),
          )
          .returning('key')
          .executeTakeFirst();
        return row !== undefined;
      },
      async release(key, holder) {
        await db.deleteFrom('leases').where('key', '=', key).where('holder', '=', holder).execute();
      },
    },
  };
}
