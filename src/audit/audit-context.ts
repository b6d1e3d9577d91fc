/** Who makes an administrative change, and through what. */
import type { AuditActorKind, AuditSource } from '../store/model.ts';

export interface AuditActor {
  readonly kind: AuditActorKind;
  /** The user's id (API keys act as their user), or the config file applied. */
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
