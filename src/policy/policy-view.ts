/**
 * A server's policy as one member sees it: pure decisions, the same ones for
 * discovery (`*\/list`) and invocation (`tools/call`, `resources/read`,
 * `prompts/get`, subscriptions), so what a member sees is exactly what the
 * member may use.
 */
import type { Role } from '../store/model.ts';
import type { ItemRule, ServerPolicy, ToolRule } from './server-policy-schema.ts';
import type { SecurityPolicy, ToolSecurity } from './security-policy.ts';

export interface PolicyMember {
  readonly userId: string;
  /** Undefined when the caller is not a member (e.g. an instance admin's key). */
  readonly role: Role | undefined;
}

/** What the gateway knows of a pinned tool (tool-pins in the store). */
export interface PinState {
  /** Hash of the approved definition; null until one is approved. */
  readonly approvedHash: string | null;
  /** Hash of the definition the upstream showed last. */
  readonly seenHash: string | null;
  /** An admin quarantined the tool by hand. */
  readonly blocked: boolean;
}

export type ToolState = 'visible' | 'disabled' | 'pending' | 'quarantined';

/**
 * Notes a definition the upstream shows in the pins (trust on first use:
 * the first one seen is approved). `changed` means it no longer matches
 * the approved one: the tool is now quarantined.
 */
export function notePin(
  pins: Map<string, PinState>,
  tool: string,
  hash: string,
): 'known' | 'new' | 'seen' | 'changed' {
  const pin = pins.get(tool);
  if (pin !== undefined && pin.seenHash === hash) return 'known';
  pins.set(tool, {
    approvedHash: pin === undefined ? hash : pin.approvedHash,
    seenHash: hash,
    blocked: pin?.blocked ?? false,
  });
  if (pin === undefined) return 'new';
  return pin.approvedHash !== null && pin.approvedHash !== hash ? 'changed' : 'seen';
}

/**
 * A rule by item name: own keys only, so an upstream item named `constructor`
 * or `toString` does not pick up an Object.prototype member as its rule.
 */
export function ruleOf<T>(
  rules: Readonly<Record<string, T>> | undefined,
  name: string,
): T | undefined {
  return rules !== undefined && Object.hasOwn(rules, name) ? rules[name] : undefined;
}

/** One item's decision for one member: member → role → item → mode. */
export function decide(
  policy: ServerPolicy,
  rule: ItemRule | undefined,
  member: PolicyMember,
): boolean {
  const byMember = ruleOf(rule?.members, member.userId);
  if (byMember !== undefined) return byMember;
  const byRole = member.role === undefined ? undefined : rule?.roles?.[member.role];
  if (byRole !== undefined) return byRole;
  if (rule?.enabled !== undefined) return rule.enabled;
  return policy.mode === 'open';
}

/** Quarantined: pinning is on and the tool was blocked, or changed since it was approved. */
export function isQuarantined(
  policy: ServerPolicy,
  pin: PinState | undefined,
  currentHash: string | null,
): boolean {
  if (!policy.pin_tools || pin === undefined) return false;
  if (pin.blocked) return true;
  const hash = currentHash ?? pin.seenHash;
  return pin.approvedHash !== null && hash !== null && hash !== pin.approvedHash;
}

/** Workspace-level state of one tool (the admin API's view, before role and member overrides). */
export function toolState(
  policy: ServerPolicy,
  name: string,
  pin: PinState | undefined,
): ToolState {
  if (isQuarantined(policy, pin, null)) return 'quarantined';
  const enabled = ruleOf(policy.tools, name)?.enabled;
  if (enabled === false) return 'disabled';
  if (enabled === undefined && policy.mode === 'allowlist') return 'pending';
  return 'visible';
}

/** RFC 6570 templates as patterns: `{x}` one path segment, `{+x}`/`{#x}` anything, others anything but `/`. */
export function templatePattern(template: string): RegExp {
  let source = '^';
  let last = 0;
  for (const match of template.matchAll(/\{([+#./;?&]?)[^}]*\}/g)) {
    source += template.slice(last, match.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    source += match[1] === '+' || match[1] === '#' ? '.*' : '[^/]*';
    last = match.index + match[0].length;
  }
  source += `${template.slice(last).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  return new RegExp(source);
}

/**
 * The URI an upstream built on the SDK reads (`new URL(uri).toString()`):
 * scheme and host lowercased, spaces around and tabs or newlines inside
 * removed, dot segments resolved. Undefined when it is no URL at all.
 */
export function canonicalUri(uri: string): string | undefined {
  try {
    return new URL(uri).toString();
  } catch {
    return undefined;
  }
}

export interface PolicyView {
  readonly policy: ServerPolicy;
  /** The name a member sees for an upstream tool; undefined when the member must not see it. */
  readonly toolShownAs: (upstreamName: string, currentHash: string | null) => string | undefined;
  /** The upstream tool a member's name stands for; undefined when hidden or absent. */
  readonly toolCalled: (shownName: string) => string | undefined;
  readonly toolRule: (upstreamName: string) => ToolRule | undefined;
  readonly resourceVisible: (uri: string) => boolean;
  readonly templateVisible: (uriTemplate: string) => boolean;
  readonly promptVisible: (name: string) => boolean;
  /** LIMITS: the security section for one tool (upstream name): server-wide values with the tool's own on top. */
  readonly securityFor: (upstreamName: string) => SecurityPolicy & ToolSecurity;
}

export function createPolicyView(
  policy: ServerPolicy,
  member: PolicyMember,
  pins: ReadonlyMap<string, PinState> = new Map(),
): PolicyView {
  // Renamed tools: shown name → upstream name. A rename takes its new name
  // from any upstream tool of that name (the policy schema keeps renames unique).
  const renamedTo = new Map<string, string>();
  for (const [upstream, rule] of Object.entries(policy.tools))
    if (rule.name !== undefined && rule.name !== upstream) renamedTo.set(rule.name, upstream);

  const toolRule = (upstream: string): ToolRule | undefined => ruleOf(policy.tools, upstream);
  const toolAllowed = (upstream: string, hash: string | null): boolean =>
    decide(policy, toolRule(upstream), member) && !isQuarantined(policy, pins.get(upstream), hash);

  const templates = Object.entries(policy.resource_templates).map(
    ([template, rule]) => [templatePattern(template), rule] as const,
  );
  const canonicalResources = new Map<string, ItemRule>();
  for (const [uri, rule] of Object.entries(policy.resources)) {
    const canonical = canonicalUri(uri);
    if (canonical !== undefined && !canonicalResources.has(canonical))
      canonicalResources.set(canonical, rule);
  }
  const uriVisible = (uri: string): boolean => {
    const rule = ruleOf(policy.resources, uri) ?? canonicalResources.get(uri);
    if (rule !== undefined) return decide(policy, rule, member);
    for (const [pattern, templateRule] of templates)
      if (pattern.test(uri)) return decide(policy, templateRule, member);
    return decide(policy, undefined, member);
  };

  return {
    policy,
    toolShownAs(upstream, hash) {
      if (!toolAllowed(upstream, hash)) return undefined;
      const shown = toolRule(upstream)?.name ?? upstream;
      // An upstream tool whose name a rename took is shadowed by it.
      if (shown === upstream && renamedTo.has(upstream)) return undefined;
      return shown;
    },
    toolCalled(shown) {
      const renamed = toolRule(shown)?.name;
      const upstream =
        renamedTo.get(shown) ?? (renamed !== undefined && renamed !== shown ? undefined : shown);
      return upstream !== undefined && toolAllowed(upstream, null) ? upstream : undefined;
    },
    toolRule,
    resourceVisible(uri) {
      // Visible only if visible as written and as the upstream will read it.
      if (!uriVisible(uri)) return false;
      const canonical = canonicalUri(uri);
      return canonical === undefined || canonical === uri || uriVisible(canonical);
    },
    templateVisible: (template) =>
      decide(policy, ruleOf(policy.resource_templates, template), member),
    promptVisible: (name) => decide(policy, ruleOf(policy.prompts, name), member),
    securityFor(upstream) {
      const { tools: perTool, ...serverWide } = policy.security ?? {};
      return { ...serverWide, ...ruleOf(perTool, upstream) };
    },
  };
}
