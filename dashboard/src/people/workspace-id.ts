/** A workspace id suggested from its name, in the form the API accepts (`^[a-z0-9][a-z0-9-]{0,62}$`). */
export function suggestWorkspaceId(name: string): string {
  return (
    name
      .normalize('NFKD')
      // Accents decompose into combining marks (U+0300–U+036F): drop them, keep the letter.
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+/, '')
      .slice(0, 63)
      .replace(/-+$/, '')
  );
}

export function isWorkspaceId(id: string): boolean {
  return /^[a-z0-9][a-z0-9-]{0,62}$/.test(id);
}
