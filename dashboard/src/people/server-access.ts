/**
 * Server access as the API writes it: `null` is every server of the
 * workspace (present and future), a list is those servers only.
 */
export type ServerAccess = readonly string[] | null;

/** How a member's or a key's access reads in a table. */
export function describeAccess(access: ServerAccess, names: ReadonlyMap<string, string>): string {
  if (access === null) return 'All servers';
  if (access.length === 0) return 'No servers';
  return access.map((id) => names.get(id) ?? id).join(', ');
}

/** The access after ticking or unticking one server of a chosen list. */
export function toggleServer(access: readonly string[], serverId: string, on: boolean): string[] {
  const without = access.filter((id) => id !== serverId);
  return on ? [...without, serverId] : without;
}
