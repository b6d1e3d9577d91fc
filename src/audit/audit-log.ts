/**
 * The tamper-evident audit log of administrative changes (issues 6 and 7):
 * who changed what, when, from what to what. See README.md for the chain and
 * what verification proves.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuditEntry } from '../store/model.ts';
import type { AuditQuery, Store } from '../store/store.ts';
import { auditEntryHash } from './audit-hash.ts';
import type { AuditContext } from './audit-context.ts';
import { watchStore } from './audited-store.ts';
import { auditedWrites } from './audited-writes.ts';
import type { AuditedWriteEntry } from './audited-writes.ts';
import { toAuditJson } from './mask-secrets.ts';
import { verifyAuditLog } from './verify-audit-log.ts';
import type { AuditVerification } from './verify-audit-log.ts';

export interface AuditRecordInput {
  /** `<target type>.<verb>`, e.g. `policy.update`. */
  readonly action: string;
  readonly target: {
    readonly type: string;
    readonly id: string;
    readonly workspaceId?: string | null;
  };
  /** Stored state; secrets are masked on the way in. Omitted: none (created or deleted). */
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface AuditLog {
  /**
   * Appends one entry; the actor is the one `actingAs` set (else `system`).
   * Pass the transaction's store so the entry commits with the change.
   */
  record(input: AuditRecordInput, tx?: Store): Promise<AuditEntry>;
  /** Runs `work` with `context` as the actor of every change it records. */
  actingAs<T>(context: AuditContext, work: () => Promise<T>): Promise<T>;
  /**
   * The store with its administrative writes recorded (audited-writes.ts),
   * by `context` when given, else by whoever `actingAs` names.
   */
  watch(store: Store, context?: AuditContext): Store;
  list(query: AuditQuery): Promise<AuditEntry[]>;
  verify(): Promise<AuditVerification>;
}

export interface AuditLogDeps {
  readonly store: Store;
  readonly now?: () => Date;
  /** The audited write verbs; audited-writes.ts when absent. */
  readonly writes?: readonly AuditedWriteEntry[];
}

const SYSTEM: AuditContext = { actor: { kind: 'system', id: null, email: null }, source: 'api' };

export function createAuditLog(deps: AuditLogDeps): AuditLog {
  const now = deps.now ?? (() => new Date());
  const acting = new AsyncLocalStorage<AuditContext>();

  return {
    async record(input, tx) {
      const context = acting.getStore() ?? SYSTEM;
      return (tx ?? deps.store).auditLog.append(
        {
          time: now(),
          actorKind: context.actor.kind,
          actorId: context.actor.id,
          actorEmail: context.actor.email,
          apiKeyId: context.actor.apiKeyId ?? null,
          action: input.action,
          targetType: input.target.type,
          targetId: input.target.id,
          workspaceId: input.target.workspaceId ?? context.workspaceId ?? null,
          before: toAuditJson(input.before),
          after: toAuditJson(input.after),
          source: context.source,
          requestId: context.requestId ?? null,
        },
        auditEntryHash,
      );
    },

    actingAs(context, work) {
      return acting.run(context, work);
    },

    watch(store, context) {
      return watchStore(store, {
        writes: deps.writes ?? auditedWrites,
        contextOf: context === undefined ? () => acting.getStore() : () => context,
        now,
        append: (tx, input) => tx.auditLog.append(input, auditEntryHash),
      });
    },

    list(query) {
      return deps.store.auditLog.list(query);
    },

    verify() {
      return verifyAuditLog(deps.store);
    },
  };
}
