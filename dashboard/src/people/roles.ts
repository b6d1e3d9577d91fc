/** Workspace roles, in the order a picker lists them, with what each may do. */
export const ROLES = [
  { value: 'viewer', label: 'Viewer', hint: 'reads servers, logs and analytics' },
  { value: 'member', label: 'Member', hint: 'calls the servers they reach' },
  { value: 'admin', label: 'Admin', hint: 'manages servers, members and policy' },
  { value: 'owner', label: 'Owner', hint: 'everything, including the workspace itself' },
] as const;

export type RoleName = (typeof ROLES)[number]['value'];

/**
 * Whether the caller may give or take away `role` (mirrors the API's rule in
 * src/admin/roles.ts, which decides: admins manage everyone but owners, only
 * owners touch owners, instance administrators act as owners).
 */
export function mayTouchRole(
  caller: { role: RoleName | undefined; isInstanceAdmin: boolean },
  role: RoleName,
): boolean {
  const own = caller.isInstanceAdmin ? 'owner' : caller.role;
  if (own !== 'owner' && own !== 'admin') return false;
  return role !== 'owner' || own === 'owner';
}
