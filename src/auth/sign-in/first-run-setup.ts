/**
 * First-run setup: while the instance has no user, a one-time random token
 * (printed at start, held only in this process's memory) lets whoever can
 * read the start-up output create the first instance administrator.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from '../../store/store.ts';
import { safeEqual } from './csrf.ts';

export interface FirstRunSetup {
  /** True while setup is possible: no user existed at start and the token is unused. */
  isOpen(): boolean;
  /** The setup page URL to print at start, or undefined when setup is closed. */
  link(publicUrl: string): string | undefined;
  /** True when `token` is the open setup token (does not use it up). */
  matches(token: string): boolean;
  /** Uses the token up; true only for the first call with the right token. */
  consume(token: string): boolean;
}

export async function createFirstRunSetup(store: Store): Promise<FirstRunSetup> {
  let token: string | undefined =
    (await store.users.count()) === 0 ? randomBytes(32).toString('base64url') : undefined;
  const matches = (candidate: string) => token !== undefined && safeEqual(candidate, token);
  return {
    isOpen: () => token !== undefined,
    link: (publicUrl) => (token === undefined ? undefined : `${publicUrl}/setup?token=${token}`),
    matches,
    consume(candidate) {
      if (!matches(candidate)) return false;
      token = undefined;
      return true;
    },
  };
}
