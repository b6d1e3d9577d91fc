/** API key lifetimes offered in the form, and the `expiresAt` each one sends. */
export const EXPIRY_CHOICES = [
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: 'never', label: 'Never' },
] as const;

export type ExpiryChoice = (typeof EXPIRY_CHOICES)[number]['value'];

/** ISO timestamp `days` after `now`, or undefined for a key that never expires. */
export function expiresAtFor(choice: ExpiryChoice, now: Date): string | undefined {
  if (choice === 'never') return undefined;
  return new Date(now.getTime() + Number(choice) * 86_400_000).toISOString();
}

/** Whether a key (or invitation) with this expiry no longer works at `now`. */
export function isExpired(expiresAt: string | null, now: Date): boolean {
  return expiresAt !== null && new Date(expiresAt).getTime() <= now.getTime();
}
