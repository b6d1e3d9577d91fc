/** Who makes an administrative change, and through what. */
import type { AuditActorKind, AuditSource } from '../store/model.ts';

export interface AuditActor {
  readonly kind: AuditActorKind;
  /**
   * The user's id (API keys act as their user), or the config file applied.
   * A `user` with a null id and an email is creating their own account
   * (`newAccountContext`): the id is looked up by email when recording.
   */
  readonly id: string | null;
  readonly email: string | null;
  readonly apiKeyId?: string | null;
}

export interface AuditContext {
  readonly actor: AuditActor;
  readonly source: AuditSource;
  readonly requestId?: string | null;
  /** The workspace the request addresses; used when the target names none. */
  readonly workspaceId?: string | null;
}

/** The actor behind an admin API caller (`ApiCaller`, src/admin/authenticate-api-caller.ts). */
export function callerActor(caller: {
  readonly via: 'session' | 'api_key';
  readonly user: { readonly id: string; readonly email: string };
  readonly apiKey?: { readonly id: string };
}): AuditActor {
  return caller.via === 'api_key'
    ? {
        kind: 'api_key',
        id: caller.user.id,
        email: caller.user.email,
        apiKeyId: caller.apiKey?.id ?? null,
      }
    : { kind: 'user', id: caller.user.id, email: caller.user.email };
}

/**
 * A person creating their own account: first-run setup, an accepted
 * invitation, a first single sign-on. The account does not exist yet, so the
 * actor names its email; every change of the flow, the account's own
 * creation included, is recorded with the account's id (audited-store.ts).
 */
export function newAccountContext(email: string): AuditContext {
  return { actor: { kind: 'user', id: null, email }, source: 'api' };
}
