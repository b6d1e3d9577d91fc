/**
 * The MCP resources an OAuth grant covers, and withdrawing some of them.
 *
 * One grant per (user, client) covers every resource the user consented to
 * for that client (oidc-provider's Grant payload: `resources: { [url]:
 * scope }`), possibly in several workspaces. Access tokens carry their grant
 * (`gid`) and exactly one resource (`aud`, RFC 8707); a token stays valid only
 * while its grant still covers its audience, so withdrawing a resource from
 * the grant ends that resource's tokens and leaves the others working.
 */
import type { OAuthArtefact } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';

/** What withdrawing resources did to the grant. */
export type Withdrawal =
  /** It covered nothing else: destroyed with every artefact issued under it. */
  | { readonly kind: 'revoked' }
  /** It keeps its other resources; the withdrawn ones' refresh tokens and codes are gone. */
  | { readonly kind: 'narrowed'; readonly grant: OAuthArtefact };

export function grantResources(grant: OAuthArtefact): string[] {
  const resources = grant.payload.resources;
  return typeof resources === 'object' && resources !== null ? Object.keys(resources) : [];
}

/** True while the grant exists, is unexpired and covers every audience of the token. */
export function grantCovers(
  grant: OAuthArtefact | undefined,
  audience: readonly string[],
  now: Date,
): boolean {
  if (grant === undefined || (grant.expiresAt !== null && grant.expiresAt <= now)) return false;
  const resources = new Set(grantResources(grant));
  return audience.length > 0 && audience.every((resource) => resources.has(resource));
}

/** `payload.resource` of a refresh token or authorization code: one URL, or a list. */
function artefactResources(artefact: OAuthArtefact): string[] {
  const resource = artefact.payload.resource;
  if (typeof resource === 'string') return [resource];
  return Array.isArray(resource) ? resource.filter((entry) => typeof entry === 'string') : [];
}

/** Models holding a resource that can still be turned into access tokens. */
const RESOURCE_BEARING_MODELS = ['RefreshToken', 'AuthorizationCode'];

/**
 * Removes the resources `isWithdrawn` picks from the grant, in `tx`. Revokes
 * the grant whole when nothing would be left. Callers tell the resource
 * server (`onGrantRevoked`) afterwards in both cases, so cached tokens of the
 * grant are checked against it again.
 */
export async function withdrawGrantResources(
  tx: Store,
  grant: OAuthArtefact,
  isWithdrawn: (resource: string) => boolean,
  now: Date,
): Promise<Withdrawal> {
  const kept = Object.entries((grant.payload.resources ?? {}) as Record<string, unknown>).filter(
    ([resource]) => !isWithdrawn(resource),
  );
  if (kept.length === 0) {
    await tx.oauthArtefacts.revokeByGrantId(grant.id);
    // The Grant record itself need not carry its own id as grantId.
    await tx.oauthArtefacts.destroy('Grant', grant.id);
    return { kind: 'revoked' };
  }
  const payload = { ...grant.payload, resources: Object.fromEntries(kept) };
  await tx.oauthArtefacts.upsert('Grant', grant.id, {
    payload,
    grantId: grant.grantId,
    uid: grant.uid,
    userCode: grant.userCode,
    accountId: grant.accountId,
    clientId: grant.clientId,
    expiresAt: grant.expiresAt,
  });
  if (grant.accountId !== null) {
    for (const model of RESOURCE_BEARING_MODELS) {
      for (const artefact of await tx.oauthArtefacts.listByAccount(model, grant.accountId, now)) {
        if (artefact.grantId === grant.id && artefactResources(artefact).some(isWithdrawn))
          await tx.oauthArtefacts.destroy(model, artefact.id);
      }
    }
  }
  return { kind: 'narrowed', grant: { ...grant, payload } };
}

/** One grant `withdrawFromAccountGrants` changed: as it was, and what became of it. */
export interface AccountWithdrawal {
  readonly before: OAuthArtefact;
  readonly withdrawal: Withdrawal;
}

/**
 * Withdraws the resources `isWithdrawn` picks from every live grant of the
 * account, in `tx` (a member leaving a workspace loses that workspace in all
 * their apps). Grants covering none of them are left alone.
 */
export async function withdrawFromAccountGrants(
  tx: Store,
  accountId: string,
  isWithdrawn: (resource: string) => boolean,
  now: Date,
): Promise<AccountWithdrawal[]> {
  const changed: AccountWithdrawal[] = [];
  for (const grant of await tx.oauthArtefacts.listByAccount('Grant', accountId, now)) {
    if (!grantResources(grant).some(isWithdrawn)) continue;
    changed.push({
      before: grant,
      withdrawal: await withdrawGrantResources(tx, grant, isWithdrawn, now),
    });
  }
  return changed;
}
