import type { Kysely, Selectable } from 'kysely';
import type { DialectCodec } from './dialect-codec.ts';
import type { Workspace } from './model.ts';
import type { Database, WorkspacesTable } from './schema.ts';
import type { Store } from './store.ts';

export function createWorkspacesRepository(
  db: Kysely<Database>,
  codec: DialectCodec,
): Store['workspaces'] {
  const toWorkspace = (row: Selectable<WorkspacesTable>): Workspace => ({
    id: row.id,
    name: row.name,
    createdAt: codec.fromTimestamp(row.created_at),
  });

  return {
    async upsert(input) {
      const row = await db
        .insertInto('workspaces')
        .values({ id: input.id, name: input.name, created_at: codec.toTimestamp(new Date()) })
        .onConflict((conflict) => conflict.column('id').doUpdateSet({ name: input.name }))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toWorkspace(row);
    },

    async find(id) {
      const row = await db
        .selectFrom('workspaces')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toWorkspace(row);
    },

    async list() {
      const rows = await db.selectFrom('workspaces').selectAll().orderBy('id').execute();
      return rows.map(toWorkspace);
    },

    async remove(id) {
      await db.deleteFrom('workspaces').where('id', '=', id).execute();
    },
  };
}
