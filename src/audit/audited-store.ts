/**
 * A Store decorator that records administrative changes: every call of a
 * verb listed in audited-writes.ts reads the target's state, writes, reads
 * it again and appends an audit entry, all in one transaction, so the change
 * and its entry commit together or not at all. Writes that change nothing
 * are not recorded. Reads and other writes pass through untouched.
 */
import type { AuditEntryInput, Store } from '../store/store.ts';
import { canonicalJson } from './audit-hash.ts';
import type { AuditActor, AuditContext } from './audit-context.ts';
import type { AuditedWriteEntry } from './audited-writes.ts';
import { toAuditJson } from './mask-secrets.ts';

export interface WatchDeps {
  readonly writes: readonly AuditedWriteEntry[];
  /** Who acts; `system` when nobody said. */
  readonly contextOf: () => AuditContext | undefined;
  readonly now: () => Date;
  readonly append: (tx: Store, input: AuditEntryInput) => Promise<unknown>;
}

type Verb = (...args: readonly unknown[]) => Promise<unknown>;
type Repository = Record<string, Verb>;

const SYSTEM: AuditContext = { actor: { kind: 'system', id: null, email: null }, source: 'api' };

/** Plain JSON, unmasked: what decides whether anything changed. */
const plain = (value: unknown): string => canonicalJson(value ?? null);

function repository(store: Store, area: string): Repository {
  return (store as unknown as Record<string, Repository>)[area]!;
}

/** A person creating their own account acts as it once it exists (`newAccountContext`). */
async function actorIdIn(tx: Store, actor: AuditActor): Promise<string | null> {
  if (actor.id !== null || actor.kind !== 'user' || actor.email === null) return actor.id;
  return (await tx.users.findByEmail(actor.email))?.id ?? null;
}

export function watchStore(store: Store, deps: WatchDeps): Store {
  const byArea = new Map<string, AuditedWriteEntry[]>();
  for (const write of deps.writes)
    byArea.set(write.area, [...(byArea.get(write.area) ?? []), write]);

  async function recorded(tx: Store, write: AuditedWriteEntry, args: readonly unknown[]) {
    await tx.auditLog.lock();
    const before = await write.read(tx, args, undefined);
    const result = await repository(tx, write.area)[write.verb]!(...args);
    const after = await write.read(tx, args, result);
    const state = after ?? before;
    if (state === undefined || plain(before) === plain(after)) return result;
    const context = deps.contextOf() ?? SYSTEM;
    const actorId = await actorIdIn(tx, context.actor);
    const target = write.target(args, state);
    const verb = before === undefined ? 'create' : after === undefined ? 'delete' : 'update';
    await deps.append(tx, {
      time: deps.now(),
      actorKind: context.actor.kind,
      actorId,
      actorEmail: context.actor.email,
      apiKeyId: context.actor.apiKeyId ?? null,
      action: write.action ?? `${write.targetType}.${verb}`,
      targetType: write.targetType,
      targetId: target.id,
      workspaceId: target.workspaceId ?? context.workspaceId ?? null,
      before: toAuditJson(before),
      after: toAuditJson(after),
      source: context.source,
      requestId: context.requestId ?? null,
    });
    return result;
  }

  function watch(target: Store): Store {
    const watched: Record<string, unknown> = { ...target };
    watched.transaction = <T>(work: (tx: Store) => Promise<T>) =>
      target.transaction((tx) => work(watch(tx)));
    for (const [area, writes] of byArea) {
      const original = repository(target, area);
      // A repository this store does not have (yet) is nothing to watch.
      if (original === undefined) continue;
      const wrapped: Repository = { ...original };
      for (const write of writes) {
        if (original[write.verb] === undefined) continue;
        wrapped[write.verb] = (...args) =>
          write.when?.(args) === false
            ? original[write.verb]!(...args)
            : target.transaction((tx) => recorded(tx, write, args));
      }
      watched[area] = wrapped;
    }
    return watched as unknown as Store;
  }

  return watch(store);
}
