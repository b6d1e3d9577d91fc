import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DialectCodec } from './dialect-codec.ts';
import type { UsageGroup, UsageLimitRule, UsagePeriod } from './model.ts';
import type { Database, UsageLimitRow } from './schema.ts';
import type { Store } from './store.ts';

export function createUsageLimitsRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
): Store['usageLimits'] {
  const toRule = (row: UsageLimitRow): UsageLimitRule => ({
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    serverId: row.server_id,
    tool: row.tool,
    method: row.method,
    groupBy: codec.fromJson(row.group_by) as UsageGroup[],
    period: row.period as UsagePeriod,
    limit: Number(row.limit_count),
    createdAt: codec.fromTimestamp(row.created_at),
    updatedAt: codec.fromTimestamp(row.updated_at),
  });

  return {
    async upsert(input) {
      const now = codec.toTimestamp(new Date());
      const fields = {
        server_id: input.serverId,
        tool: input.tool,
        method: input.method,
        group_by: codec.toJson(input.groupBy),
        period: input.period,
        limit_count: input.limit,
        updated_at: now,
      };
      const row = await db
        .insertInto('usage_limits')
        .values({
          id: randomUUID(),
          workspace_id: input.workspaceId,
          name: input.name,
          created_at: now,
          ...fields,
        })
        .onConflict((conflict) => conflict.columns(['workspace_id', 'name']).doUpdateSet(fields))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRule(row);
    },

    async find(workspaceId, name) {
      const row = await db
        .selectFrom('usage_limits')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('name', '=', name)
        .executeTakeFirst();
      return row === undefined ? undefined : toRule(row);
    },

    async list(workspaceId) {
      let query = db.selectFrom('usage_limits').selectAll();
      if (workspaceId !== undefined) query = query.where('workspace_id', '=', workspaceId);
      const rows = await query.orderBy('workspace_id').orderBy('name').execute();
      return rows.map(toRule);
    },

    async remove(workspaceId, name) {
      const result = await db
        .deleteFrom('usage_limits')
        .where('workspace_id', '=', workspaceId)
        .where('name', '=', name)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
