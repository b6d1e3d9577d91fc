/**
 * Dynamic client registration floods (MCP authorization §2.4): Claude
 * registers a new client on every fresh connection, from a few shared
 * egress addresses. Limiting by address alone would throttle every Claude
 * user at once, so registrations are limited per (address, client_name)
 * and by a global cap, and identical public registrations are answered
 * with the client registered moments ago instead of a new one.
 *
 * Confidential clients are never de-duplicated: answering with another
 * caller's client would hand out its secret. They are only rate-limited.
 *
 * State is per instance here (in memory); with Redis, registration-limits-redis.ts
 * applies the same limits across every instance.
 */
import crypto from 'node:crypto';

export interface RegistrationLimitsOptions {
  /** Registrations per (client address, client_name) per window. */
  perClientPerWindow?: number;
  /** Registrations per window across all callers. */
  globalPerWindow?: number;
  windowMs?: number;
  /** How long an identical public registration is answered with the same client. */
  dedupeMs?: number;
  now?: () => number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RegistrationLimits {
  /** The de-duplication key of a registration body, or undefined when it must not be de-duplicated. */
  dedupeKey(body: Readonly<Record<string, unknown>>): string | undefined;
  /** The client registered with `key` within the de-duplication window. */
  findDuplicate(key: string): string | undefined | Promise<string | undefined>;
  remember(key: string, clientId: string): void;
  /** Counts one registration attempt; refuses it when over a limit. */
  take(clientAddress: string, clientName: string): RateDecision | Promise<RateDecision>;
}

/** The limits in memory answer at once. */
export interface MemoryRegistrationLimits extends RegistrationLimits {
  findDuplicate(key: string): string | undefined;
  take(clientAddress: string, clientName: string): RateDecision;
}

const MAX_TRACKED = 10_000;

interface Window {
  start: number;
  count: number;
}

function sortedStrings(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list: unknown[] = Array.isArray(value) ? value : [value];
  return list.map((item) => JSON.stringify(item)).sort();
}

/** The de-duplication key of a registration body (see RegistrationLimits.dedupeKey). */
export function registrationDedupeKey(body: Readonly<Record<string, unknown>>): string | undefined {
  const method = body.token_endpoint_auth_method ?? 'client_secret_basic';
  if (method !== 'none') return undefined;
  const canonical = JSON.stringify([
    body.client_name ?? null,
    sortedStrings(body.redirect_uris) ?? null,
    sortedStrings(body.grant_types) ?? null,
    sortedStrings(body.response_types) ?? null,
    method,
    body.scope ?? null,
    body.application_type ?? null,
  ]);
  return crypto.hash('sha256', canonical, 'base64url');
}

export function createRegistrationLimits(
  options: RegistrationLimitsOptions = {},
): MemoryRegistrationLimits {
  const perClient = options.perClientPerWindow ?? 10;
  const globalCap = options.globalPerWindow ?? 120;
  const windowMs = options.windowMs ?? 60_000;
  const dedupeMs = options.dedupeMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  const windows = new Map<string, Window>();
  const recent = new Map<string, { clientId: string; at: number }>();
  let global: Window = { start: now(), count: 0 };

  const prune = (): void => {
    const time = now();
    for (const [key, window] of windows) if (time - window.start >= windowMs) windows.delete(key);
    for (const [key, entry] of recent) if (time - entry.at >= dedupeMs) recent.delete(key);
    // Hard bound on memory under a flood of distinct names.
    while (windows.size > MAX_TRACKED) windows.delete(windows.keys().next().value!);
    while (recent.size > MAX_TRACKED) recent.delete(recent.keys().next().value!);
  };

  return {
    dedupeKey: registrationDedupeKey,
    findDuplicate(key) {
      const entry = recent.get(key);
      if (entry === undefined || now() - entry.at >= dedupeMs) return undefined;
      return entry.clientId;
    },
    remember(key, clientId) {
      recent.set(key, { clientId, at: now() });
      if (recent.size > MAX_TRACKED) prune();
    },
    take(clientAddress, clientName) {
      const time = now();
      if (time - global.start >= windowMs) {
        global = { start: time, count: 0 };
        prune();
      }
      const key = `${clientAddress}\u0000${clientName}`;
      let window = windows.get(key);
      if (window === undefined || time - window.start >= windowMs) {
        window = { start: time, count: 0 };
        windows.set(key, window);
      }
      if (window.count >= perClient) {
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil((window.start + windowMs - time) / 1000)),
        };
      }
      if (global.count >= globalCap) {
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil((global.start + windowMs - time) / 1000)),
        };
      }
      window.count += 1;
      global.count += 1;
      if (windows.size > MAX_TRACKED) prune();
      return { allowed: true };
    },
  };
}
