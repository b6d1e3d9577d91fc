/**
 * Seeded random policy documents and members for property tests: the same
 * seed gives the same case, so a failure names the seed that reproduces it.
 */
import type { JsonObject } from '../../src/mcp/json-rpc.ts';
import type { PolicyMember } from '../../src/policy/policy-view.ts';
import { serverPolicySchema } from '../../src/policy/server-policy-schema.ts';
import type { ServerPolicy } from '../../src/policy/server-policy-schema.ts';
import type { Role } from '../../src/store/model.ts';

/** mulberry32: small, fast, and enough to make failures reproducible by seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const ROLES: readonly Role[] = ['owner', 'admin', 'member', 'viewer'];

export interface PolicyUniverse {
  readonly tools: readonly string[];
  readonly prompts: readonly string[];
  readonly resources: readonly string[];
  readonly templates: readonly string[];
  /** User ids member overrides may name. */
  readonly users: readonly string[];
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

export function chance(random: () => number, p = 0.4): boolean {
  return random() < p;
}

function randomRule(random: () => number, users: readonly string[]): JsonObject {
  const rule: JsonObject = {};
  if (chance(random)) rule.enabled = chance(random, 0.5);
  if (chance(random)) rule.roles = { [pick(random, ROLES)]: chance(random, 0.5) };
  if (users.length > 0 && chance(random, 0.3))
    rule.members = { [pick(random, users)]: chance(random, 0.5) };
  return rule;
}

/** A valid policy over the universe: overrides at every level, renames (some onto other tools' names). */
export function randomPolicy(
  random: () => number,
  universe: PolicyUniverse,
  options: { pinning?: boolean } = {},
): ServerPolicy {
  for (;;) {
    const tools: Record<string, JsonObject> = {};
    for (const tool of universe.tools) {
      if (!chance(random, 0.7)) continue;
      const rule = randomRule(random, universe.users);
      if (chance(random, 0.3))
        rule.name = chance(random, 0.5) ? `${tool}_v2` : pick(random, universe.tools);
      if (chance(random, 0.2)) rule.description = `Policy text for ${tool}`;
      tools[tool] = rule;
    }
    const items = (names: readonly string[]) =>
      Object.fromEntries(
        names.filter(() => chance(random, 0.6)).map((n) => [n, randomRule(random, universe.users)]),
      );
    // Documents where two tools would show under one name are refused: draw again.
    const parsed = serverPolicySchema.safeParse({
      mode: chance(random, 0.3) ? 'allowlist' : 'open',
      pin_tools: options.pinning ?? chance(random, 0.4),
      tools,
      prompts: items(universe.prompts),
      resources: items(universe.resources),
      resource_templates: items(universe.templates),
    });
    if (parsed.success) return parsed.data;
  }
}

export function randomMember(random: () => number, users: readonly string[]): PolicyMember {
  return {
    userId: pick(random, users),
    role: chance(random, 0.1) ? undefined : pick(random, ROLES),
  };
}
