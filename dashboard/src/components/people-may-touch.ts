/** Whether the signed-in caller may give or take away a role in the workspace on screen. */
import { mayTouchRole } from '../people/roles';
import type { RoleName } from '../people/roles';
import { useSession } from '../session';

export function useMayTouchRole(): (role: RoleName) => boolean {
  const { me, membership } = useSession();
  return (role) => mayTouchRole({ role: membership?.role, isInstanceAdmin: me.user.isAdmin }, role);
}
