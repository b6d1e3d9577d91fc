/**
 * One server's access list, read and written through members' server lists
 * (PUT …/members/{userId}): `null` there means every server of the workspace,
 * present and future.
 */

/** Whether a member's server list reaches `serverId`. */
export function reaches(servers: readonly string[] | null, serverId: string): boolean {
  return servers === null || servers.includes(serverId);
}

/**
 * The member's list after granting or withdrawing `serverId`. Withdrawing one
 * server from "every server" leaves an explicit list of the others, which no
 * longer grows with servers added later (the caller should say so).
 */
export function accessWith(
  servers: readonly string[] | null,
  serverId: string,
  on: boolean,
  workspaceServerIds: readonly string[],
): string[] | null {
  if (servers === null) return on ? null : workspaceServerIds.filter((id) => id !== serverId);
  const without = servers.filter((id) => id !== serverId);
  return on ? [...without, serverId] : without;
}
