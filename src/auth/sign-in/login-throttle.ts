/**
 * Brute-force throttling of password sign-ins, by account and by client
 * address: an attacker spreading guesses over many addresses still hits the
 * account limit, one guessing many accounts from one address hits the
 * address limit (OWASP Authentication Cheat Sheet, "Login Throttling").
 * Counters live in memory here; a shared (Redis) implementation of the same
 * interface serves several instances.
 */

export interface LoginThrottleLimits {
  /** Failures per account within the window before the account is locked. */
  accountFailures: number;
  /** Failures per client address within the window. */
  addressFailures: number;
  windowSeconds: number;
}

export const DEFAULT_LOGIN_THROTTLE_LIMITS: LoginThrottleLimits = {
  accountFailures: 5,
  addressFailures: 30,
  windowSeconds: 15 * 60,
};

export interface LoginThrottle {
  /** Seconds until a sign-in for (account, address) may be tried again; 0 when allowed now. */
  retryAfter(account: string, address: string): Promise<number>;
  recordFailure(account: string, address: string): Promise<void>;
  /** A successful sign-in clears the account's failures (not the address's). */
  recordSuccess(account: string): Promise<void>;
}

interface Window {
  count: number;
  resetAt: number;
}

export function createMemoryLoginThrottle(
  limits: LoginThrottleLimits = DEFAULT_LOGIN_THROTTLE_LIMITS,
  now: () => number = Date.now,
): LoginThrottle {
  const accounts = new Map<string, Window>();
  const addresses = new Map<string, Window>();
  const windowMs = limits.windowSeconds * 1000;

  function current(map: Map<string, Window>, key: string): Window | undefined {
    const entry = map.get(key);
    if (entry !== undefined && entry.resetAt <= now()) {
      map.delete(key);
      return undefined;
    }
    return entry;
  }

  function increment(map: Map<string, Window>, key: string): void {
    const entry = current(map, key);
    if (entry === undefined) map.set(key, { count: 1, resetAt: now() + windowMs });
    else entry.count += 1;
  }

  function waitFor(entry: Window | undefined, limit: number): number {
    if (entry === undefined || entry.count < limit) return 0;
    return Math.max(1, Math.ceil((entry.resetAt - now()) / 1000));
  }

  function sweep(): void {
    // Bounded memory under an address-spraying attack: drop expired windows now and then.
    if (accounts.size + addresses.size < 10_000) return;
    for (const map of [accounts, addresses]) {
      for (const [key, entry] of map) if (entry.resetAt <= now()) map.delete(key);
    }
  }

  return {
    async retryAfter(account, address) {
      return Math.max(
        waitFor(current(accounts, account.toLowerCase()), limits.accountFailures),
        waitFor(current(addresses, address), limits.addressFailures),
      );
    },
    async recordFailure(account, address) {
      sweep();
      increment(accounts, account.toLowerCase());
      increment(addresses, address);
    },
    async recordSuccess(account) {
      accounts.delete(account.toLowerCase());
    },
  };
}
