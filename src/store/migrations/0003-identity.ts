/**
 * Identity and the OAuth authorization server: instance administrators,
 * per-member server access, invitations, browser sessions, oidc-provider's
 * artefacts and the token signing keys.
 */
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { DialectCodec } from '../dialect-codec.ts';

export function identitySchema(codec: DialectCodec): Migration {
  const ts = codec.timestampType;
  const json = codec.jsonType;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('users')
        .addColumn('is_admin', codec.booleanType, (c) =>
          c.notNull().defaultTo(codec.toBoolean(false)),
        )
        .execute();
      // null: every server of the workspace, as for API keys.
      await db.schema.alterTable('members').addColumn('server_ids', json).execute();

      await db.schema
        .createTable('invitations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) =>
          c.notNull().references('workspaces.id').onDelete('cascade'),
        )
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_key', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('server_ids', json)
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        // The invitation outlives the user who sent it: it is the workspace's.
        .addColumn('invited_by', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('accepted_at', ts)
        .addColumn('revoked_at', ts)
        .execute();
      await db.schema
        .createIndex('invitations_workspace_idx')
        .on('invitations')
        .column('workspace_id')
        .execute();

      await db.schema
        .createTable('browser_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('last_seen_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('browser_sessions_user_idx')
        .on('browser_sessions')
        .column('user_id')
        .execute();
      await db.schema
        .createIndex('browser_sessions_expires_idx')
        .on('browser_sessions')
        .column('expires_at')
        .execute();

      // No foreign key on account_id: oidc-provider stores some artefacts
      // (Session, Interaction) before any user has signed in; users.remove
      // deletes a user's artefacts explicitly.
      await db.schema
        .createTable('oauth_artefacts')
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('payload', json, (c) => c.notNull())
        .addColumn('grant_id', 'text')
        .addColumn('uid', 'text')
        .addColumn('user_code', 'text')
        .addColumn('account_id', 'text')
        .addColumn('client_id', 'text')
        .addColumn('expires_at', ts)
        .addColumn('consumed_at', ts)
        // Insertion order, so listByAccount can return newest first even for
        // artefacts that never expire.
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('oauth_artefacts_pk', ['model', 'id'])
        .execute();
      const artefactIndexes: [string, string[]][] = [
        ['oauth_artefacts_grant_idx', ['grant_id']],
        ['oauth_artefacts_uid_idx', ['model', 'uid']],
        ['oauth_artefacts_user_code_idx', ['model', 'user_code']],
        ['oauth_artefacts_account_idx', ['model', 'account_id']],
        ['oauth_artefacts_expires_idx', ['expires_at']],
      ];
      for (const [name, columns] of artefactIndexes) {
        await db.schema.createIndex(name).on('oauth_artefacts').columns(columns).execute();
      }

      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('sealed_jwk', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('retired_at', ts)
        .execute();
    },
  };
}
