/**
 * Who an identity-provider user is at the gateway, decided from the claims
 * the provider vouched for. The rules (also in README.md):
 *
 * - The provider must assert a verified email (`email_verified === true`);
 *   accounts are matched by that email, case-insensitively. An unverified
 *   email never signs anyone in, so nobody can claim an existing account by
 *   typing its address at the provider.
 * - No account yet: created only when the email's domain is one of
 *   PORTCULLIS_SSO_EMAIL_DOMAINS; otherwise refused, nothing written.
 * - Group mapping, at every sign-in: for each workspace some mapped group of
 *   the user's `groups` claim names, the membership is created or set to the
 *   mapped role (the highest one when several groups map to that workspace).
 *   Memberships no mapping covers are left alone, and leaving a group at the
 *   provider removes nothing: the mapping grants, it never revokes.
 */
import type { Logger } from 'pino';
import type { SsoConfig } from '../../config/runtime-config.ts';
import { GatewayError } from '../../shared/errors.ts';
import type { Role, User } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';
import { newAccountContext } from '../../audit/audit-context.ts';
import type { AuditLog } from '../../audit/audit-log.ts';

/** The claims used, from the ID token and, where it lacks them, the UserInfo response. */
export interface SsoClaims {
  readonly sub: string;
  readonly email?: unknown;
  readonly email_verified?: unknown;
  readonly name?: unknown;
  readonly groups?: unknown;
}

const ROLE_RANK: Readonly<Record<Role, number>> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export async function resolveSsoUser(
  deps: {
    /** Watched by the audit log when `audit` is given. */
    store: Store;
    sso: SsoConfig;
    logger: Logger;
    /** Names the person signing in as the actor of what their sign-in creates or sets. */
    audit?: Pick<AuditLog, 'actingAs'>;
  },
  claims: SsoClaims,
): Promise<{ user: User; created: boolean }> {
  const { store } = deps;
  const email = typeof claims.email === 'string' ? claims.email.trim() : '';
  if (email === '' || !email.includes('@'))
    throw new GatewayError(
      'forbidden',
      'The identity provider did not share an email address for this account, so it cannot be matched to a gateway user.',
    );
  if (claims.email_verified !== true)
    throw new GatewayError(
      'forbidden',
      'The identity provider has not verified the email address of this account. Verify it there, then sign in again.',
    );
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();

  const run = () => resolveIn(store, deps, email, domain, claims);
  // The verified email names the person: their existing account, or the one this sign-in creates.
  return deps.audit === undefined ? run() : deps.audit.actingAs(newAccountContext(email), run);
}

function resolveIn(
  store: Store,
  deps: { sso: SsoConfig; logger: Logger },
  email: string,
  domain: string,
  claims: SsoClaims,
): Promise<{ user: User; created: boolean }> {
  const { sso, logger } = deps;
  const wanted = mappedRoles(sso, groupsOf(claims.groups));
  return store.transaction(async (tx) => {
    let user = await tx.users.findByEmail(email);
    let created = false;
    if (user === undefined) {
      if (!sso.emailDomains.includes(domain))
        throw new GatewayError(
          'forbidden',
          'There is no gateway account for this email address. Ask an administrator to invite you.',
        );
      const name =
        typeof claims.name === 'string' && claims.name.trim() !== '' ? claims.name.trim() : null;
      user = await tx.users.upsert({ email, name });
      created = true;
    }
    for (const [workspaceId, role] of wanted) {
      if ((await tx.workspaces.find(workspaceId)) === undefined) {
        logger.warn(
          { workspaceId },
          'single sign-on: PORTCULLIS_SSO_GROUP_ROLES names a workspace that does not exist; skipped',
        );
        continue;
      }
      const current = await tx.members.find(workspaceId, user.id);
      if (current?.role === role) continue;
      await tx.members.upsert({ workspaceId, userId: user.id, role });
      logger.info(
        { userId: user.id, workspaceId, role, previous: current?.role ?? null },
        'single sign-on: membership set from identity-provider groups',
      );
    }
    return { user, created };
  });
}

/** Providers send `groups` as an array of names; a lone string is one group. */
function groupsOf(claim: unknown): Set<string> {
  if (typeof claim === 'string') return new Set([claim]);
  if (!Array.isArray(claim)) return new Set();
  return new Set(claim.filter((group): group is string => typeof group === 'string'));
}

function mappedRoles(sso: SsoConfig, groups: ReadonlySet<string>): Map<string, Role> {
  const roles = new Map<string, Role>();
  for (const { group, workspaceId, role } of sso.groupRoles) {
    if (!groups.has(group)) continue;
    const held = roles.get(workspaceId);
    if (held === undefined || ROLE_RANK[role] > ROLE_RANK[held]) roles.set(workspaceId, role);
  }
  return roles;
}
