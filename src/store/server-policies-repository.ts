import type { Kysely, Updateable } from 'kysely';
import type { DialectCodec } from './dialect-codec.ts';
import type { ServerPolicyRecord, ToolPin } from './model.ts';
import type { Database, ServerPolicyRow, ToolPinRow, ToolPinsTable } from './schema.ts';
import type { Store } from './store.ts';
import { StoreError } from './store-error.ts';

type Document = Readonly<Record<string, unknown>>;

export function createServerPoliciesRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
): Store['serverPolicies'] {
  const toRecord = (row: ServerPolicyRow): ServerPolicyRecord => ({
    workspaceId: row.workspace_id,
    serverId: row.server_id,
    version: Number(row.version),
    document: codec.fromJson(row.document) as Document,
    updatedBy: row.updated_by,
    updatedAt: codec.fromTimestamp(row.updated_at),
  });

  const newest = (workspaceId: string, serverId: string) =>
    db
      .selectFrom('server_policies')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('server_id', '=', serverId)
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();

  return {
    async current(workspaceId, serverId) {
      const row = await newest(workspaceId, serverId);
      return row === undefined ? undefined : toRecord(row);
    },

    async listCurrent() {
      const rows = await db
        .selectFrom('server_policies as p')
        .selectAll('p')
        .where((eb) =>
          eb(
            'p.version',
            '=',
            eb
              .selectFrom('server_policies as q')
              .select(({ fn }) => fn.max('q.version').as('v'))
              .whereRef('q.workspace_id', '=', 'p.workspace_id')
              .whereRef('q.server_id', '=', 'p.server_id'),
          ),
        )
        .orderBy('p.workspace_id')
        .orderBy('p.server_id')
        .execute();
      return rows.map(toRecord);
    },

    async save(input) {
      const last = await newest(input.workspaceId, input.serverId);
      const version = last === undefined ? 0 : Number(last.version);
      if (input.expectedVersion !== undefined && input.expectedVersion !== version)
        throw new StoreError(
          'conflict',
          `the policy is at version ${version}, not ${input.expectedVersion}`,
        );
      // Two racing saves compute the same next version: the primary key refuses the second.
      const row = await db
        .insertInto('server_policies')
        .values({
          workspace_id: input.workspaceId,
          server_id: input.serverId,
          version: version + 1,
          document: codec.toJson(input.document),
          updated_by: input.updatedBy,
          updated_at: codec.toTimestamp(new Date()),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    },

    async history(workspaceId, serverId) {
      const rows = await db
        .selectFrom('server_policies')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('server_id', '=', serverId)
        .orderBy('version', 'desc')
        .execute();
      return rows.map(toRecord);
    },
  };
}

export function createToolPinsRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
): Store['toolPins'] {
  const optionalTime = (value: ToolPinRow['seen_at']): Date | null =>
    value === null ? null : codec.fromTimestamp(value);
  const optionalJson = (value: unknown): Document | null =>
    value === null ? null : (codec.fromJson(value) as Document);
  const toPin = (row: ToolPinRow): ToolPin => ({
    workspaceId: row.workspace_id,
    serverId: row.server_id,
    tool: row.tool,
    approvedHash: row.approved_hash,
    approvedDefinition: optionalJson(row.approved_definition),
    approvedBy: row.approved_by,
    approvedAt: optionalTime(row.approved_at),
    seenHash: row.seen_hash,
    seenDefinition: optionalJson(row.seen_definition),
    seenAt: optionalTime(row.seen_at),
    blocked: codec.fromBoolean(row.blocked),
  });

  const key = (workspaceId: string, serverId: string, tool: string) =>
    db
      .selectFrom('tool_pins')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('server_id', '=', serverId)
      .where('tool', '=', tool);

  const find = async (workspaceId: string, serverId: string, tool: string) => {
    const row = await key(workspaceId, serverId, tool).executeTakeFirst();
    return row === undefined ? undefined : toPin(row);
  };

  const update = async (
    workspaceId: string,
    serverId: string,
    tool: string,
    fields: Updateable<ToolPinsTable>,
  ) => {
    const row = await db
      .updateTable('tool_pins')
      .set(fields)
      .where('workspace_id', '=', workspaceId)
      .where('server_id', '=', serverId)
      .where('tool', '=', tool)
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : toPin(row);
  };

  return {
    async list(workspaceId, serverId) {
      const rows = await db
        .selectFrom('tool_pins')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('server_id', '=', serverId)
        .orderBy('tool')
        .execute();
      return rows.map(toPin);
    },

    find,

    async observe(input) {
      const at = codec.toTimestamp(input.at);
      const definition = codec.toJson(input.definition);
      const seen = { seen_hash: input.hash, seen_definition: definition, seen_at: at };
      const approved = input.approveIfNew
        ? { approved_hash: input.hash, approved_definition: definition, approved_at: at }
        : {};
      const row = await db
        .insertInto('tool_pins')
        .values({
          workspace_id: input.workspaceId,
          server_id: input.serverId,
          tool: input.tool,
          blocked: codec.toBoolean(false),
          ...seen,
          ...approved,
        })
        .onConflict((conflict) =>
          conflict.columns(['workspace_id', 'server_id', 'tool']).doUpdateSet(seen),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      if (input.approveIfNew && row.approved_hash === null)
        return (await update(input.workspaceId, input.serverId, input.tool, approved))!;
      return toPin(row);
    },

    async approve(workspaceId, serverId, tool, by, at) {
      const pin = await find(workspaceId, serverId, tool);
      if (pin === undefined) return undefined;
      return update(workspaceId, serverId, tool, {
        approved_hash: pin.seenHash,
        approved_definition: pin.seenDefinition === null ? null : codec.toJson(pin.seenDefinition),
        approved_by: by,
        approved_at: codec.toTimestamp(at),
        blocked: codec.toBoolean(false),
      });
    },

    block: (workspaceId, serverId, tool) =>
      update(workspaceId, serverId, tool, { blocked: codec.toBoolean(true) }),
  };
}
