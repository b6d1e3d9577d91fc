import type { Kysely } from 'kysely';
import type { DialectCodec } from './dialect-codec.ts';
import type { MemberEnvEntry, ServerDefinition, UpstreamAuth } from './model.ts';
import type { Database, ServerRow } from './schema.ts';
import type { Store } from './store.ts';
import { DEFAULT_CAPTURE, readCaptureSettings } from '../telemetry/capture-settings.ts';

const NO_UPSTREAM_AUTH: UpstreamAuth = { mode: 'none', forwardIdentity: false };

/** Present only when some variable is a member secret: most servers have none. */
const memberEnvOf = (memberEnv: Record<string, MemberEnvEntry>) =>
  Object.keys(memberEnv).length === 0 ? {} : { memberEnv };

export function createServersRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
): Store['servers'] {
  const toServer = (row: ServerRow): ServerDefinition => ({
    workspaceId: row.workspace_id,
    id: row.id,
    name: row.name,
    transport: row.transport as ServerDefinition['transport'],
    url: row.url,
    command: row.command,
    args: codec.fromJson(row.args) as string[],
    env: codec.fromJson(row.env) as Record<string, string>,
    cwd: row.cwd,
    timeoutMs: row.timeout_ms,
    upstreamAuth: codec.fromJson(row.upstream_auth) as UpstreamAuth,
    capture: readCaptureSettings(codec.fromJson(row.capture)),
    ...memberEnvOf(codec.fromJson(row.member_env) as Record<string, MemberEnvEntry>),
    createdAt: codec.fromTimestamp(row.created_at),
    updatedAt: codec.fromTimestamp(row.updated_at),
  });

  return {
    async upsert(input) {
      const now = codec.toTimestamp(new Date());
      const fields = {
        name: input.name,
        transport: input.transport,
        url: input.url ?? null,
        command: input.command ?? null,
        args: codec.toJson(input.args ?? []),
        env: codec.toJson(input.env ?? {}),
        cwd: input.cwd ?? null,
        timeout_ms: input.timeoutMs,
        upstream_auth: codec.toJson(input.upstreamAuth ?? NO_UPSTREAM_AUTH),
        capture: codec.toJson(input.capture ?? DEFAULT_CAPTURE),
        member_env: codec.toJson(input.memberEnv ?? {}),
        updated_at: now,
      };
      const row = await db
        .insertInto('servers')
        .values({ workspace_id: input.workspaceId, id: input.id, created_at: now, ...fields })
        .onConflict((conflict) => conflict.columns(['workspace_id', 'id']).doUpdateSet(fields))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toServer(row);
    },

    async find(workspaceId, serverId) {
      const row = await db
        .selectFrom('servers')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', serverId)
        .executeTakeFirst();
      return row === undefined ? undefined : toServer(row);
    },

    async list(workspaceId) {
      let query = db.selectFrom('servers').selectAll();
      if (workspaceId !== undefined) query = query.where('workspace_id', '=', workspaceId);
      const rows = await query.orderBy('workspace_id').orderBy('id').execute();
      return rows.map(toServer);
    },

    async updateSecrets(workspaceId, serverId, secrets) {
      if (secrets.env === undefined && secrets.upstreamAuth === undefined) return;
      await db
        .updateTable('servers')
        .set({
          ...(secrets.env === undefined ? {} : { env: codec.toJson(secrets.env) }),
          ...(secrets.upstreamAuth === undefined
            ? {}
            : { upstream_auth: codec.toJson(secrets.upstreamAuth) }),
        })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', serverId)
        .execute();
    },

    async remove(workspaceId, serverId) {
      await db
        .deleteFrom('servers')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', serverId)
        .execute();
    },
  };
}
