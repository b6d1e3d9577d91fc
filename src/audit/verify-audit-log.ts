/**
 * Walks the chain from the first entry: each entry must follow the previous
 * one (`seq` + 1), carry its hash as `prevHash`, and hash to its own `hash`;
 * the head must name the last entry. The first entry that fails is named with
 * the reason, which tells an edit from a removal.
 */
import { AUDIT_GENESIS_HASH } from '../store/model.ts';
import type { Store } from '../store/store.ts';
import { auditEntryHash } from './audit-hash.ts';

export type AuditVerification =
  | { readonly ok: true; readonly rows: number; readonly headHash: string }
  | {
      readonly ok: false;
      /** Entries checked and found good before the failure. */
      readonly rows: number;
      /** The entry that fails (for a removal at the end: the last one the head names). */
      readonly seq: number;
      readonly reason: string;
    };

const PAGE = 500;

export async function verifyAuditLog(store: Store): Promise<AuditVerification> {
  let previous = { seq: 0, hash: AUDIT_GENESIS_HASH };
  let rows = 0;
  for (;;) {
    const page = await store.auditLog.listChain(previous.seq, PAGE);
    for (const entry of page) {
      const fail = (reason: string): AuditVerification => ({
        ok: false,
        rows,
        seq: entry.seq,
        reason,
      });
      if (entry.seq !== previous.seq + 1)
        return fail(
          entry.seq === previous.seq + 2
            ? `entry ${previous.seq + 1} before it is missing`
            : `entries ${previous.seq + 1} to ${entry.seq - 1} before it are missing`,
        );
      if (entry.prevHash !== previous.hash)
        return fail(
          previous.seq === 0
            ? 'it does not start the chain (its previous hash is not the genesis hash)'
            : `its previous hash does not match entry ${previous.seq} (an entry was replaced or re-hashed)`,
        );
      const { hash, ...rest } = entry;
      if (auditEntryHash(rest) !== hash)
        return fail('its content does not match its hash (the entry was edited)');
      previous = { seq: entry.seq, hash };
      rows++;
    }
    if (page.length < PAGE) break;
  }
  const head = await store.auditLog.head();
  if (head.seq !== previous.seq)
    return {
      ok: false,
      rows,
      seq: head.seq,
      reason:
        head.seq > previous.seq
          ? `the log ends at entry ${previous.seq} but its head records entry ${head.seq} (entries at the end were removed)`
          : `the head records entry ${head.seq} but the log goes on to entry ${previous.seq} (entries were added outside the log)`,
    };
  if (head.hash !== previous.hash)
    return {
      ok: false,
      rows,
      seq: head.seq,
      reason: `its hash does not match the hash the head records (the entry was replaced)`,
    };
  return { ok: true, rows, headHash: head.hash };
}
