/**
 * A server's policy document as the dashboard edits it, and the pure edits
 * the capabilities and security tabs make to it. Every edit returns a new
 * document and drops rules left empty, so saving what was not touched saves
 * the same document. The decision order is the gateway's (docs/policy.md):
 * member → role → the item's `enabled` → the mode.
 */
import type { ApiBody } from '../api/client.ts';

type PolicyPath = '/api/v1/workspaces/{workspaceId}/servers/{serverId}/policy';

export type PolicyDocument = ApiBody<PolicyPath, 'put'>;
export type ToolRule = NonNullable<PolicyDocument['tools']>[string];
export type ItemRule = NonNullable<PolicyDocument['prompts']>[string];
export type SecurityPolicy = NonNullable<PolicyDocument['security']>;
export type ToolSecurity = NonNullable<SecurityPolicy['tools']>[string];

export type ItemSection = 'tools' | 'resources' | 'resource_templates' | 'prompts';
export const POLICY_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type PolicyRole = (typeof POLICY_ROLES)[number];
/** Who an argument constraint applies to: a role, or `*` for every role without its own. */
export const CONSTRAINT_KEYS = ['*', ...POLICY_ROLES] as const;
export type ConstraintKey = (typeof CONSTRAINT_KEYS)[number];

/** The GET answer's document (defaults filled in) as the editable type. */
export function asPolicyDocument(document: Record<string, unknown>): PolicyDocument {
  return structuredClone(document);
}

/** Own keys only: an upstream item named `constructor` is not Object.prototype's. */
function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

function isEmpty(value: object): boolean {
  return Object.values(value).every((entry) => entry === undefined);
}

function withRule<R extends object>(
  rules: Readonly<Record<string, R>> | undefined,
  name: string,
  rule: R,
): Record<string, R> {
  const out: Record<string, R> = {};
  for (const [key, value] of Object.entries(rules ?? {})) if (key !== name) out[key] = value;
  const kept = Object.fromEntries(
    Object.entries(rule).filter(([, value]) => value !== undefined),
  ) as R;
  // defineProperty: an item named `__proto__` must become a key, not the prototype.
  if (!isEmpty(kept))
    Object.defineProperty(out, name, {
      value: kept,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

export function ruleFor(document: PolicyDocument, section: ItemSection, name: string): ToolRule {
  return own<ToolRule>(document[section], name) ?? {};
}

/** Whether the workspace sees the item (before role and member overrides). */
export function isEnabled(document: PolicyDocument, section: ItemSection, name: string): boolean {
  return ruleFor(document, section, name).enabled ?? (document.mode ?? 'open') === 'open';
}

/**
 * Enables or disables an item for the workspace. `enabled` is written only
 * where the mode alone would not give the wanted answer, so an open-mode
 * tool switched off and on again leaves no rule behind.
 */
export function setEnabled(
  document: PolicyDocument,
  section: ItemSection,
  name: string,
  enabled: boolean,
): PolicyDocument {
  const byDefault = (document.mode ?? 'open') === 'open';
  const rule = { ...ruleFor(document, section, name) };
  rule.enabled = enabled === byDefault ? undefined : enabled;
  return { ...document, [section]: withRule(document[section], name, rule) };
}

/** A role's decision for an item: true, false, or undefined (the workspace's). */
export function setRoleRule(
  document: PolicyDocument,
  section: ItemSection,
  name: string,
  role: PolicyRole,
  allowed: boolean | undefined,
): PolicyDocument {
  const rule = { ...ruleFor(document, section, name) };
  const roles: Record<string, boolean> = { ...rule.roles };
  if (allowed === undefined) delete roles[role];
  else roles[role] = allowed;
  rule.roles = Object.keys(roles).length === 0 ? undefined : roles;
  return { ...document, [section]: withRule(document[section], name, rule) };
}

/** A member's own decision (by user id, or email: the API resolves it), beating their role. */
export function setMemberRule(
  document: PolicyDocument,
  section: ItemSection,
  name: string,
  member: string,
  allowed: boolean | undefined,
): PolicyDocument {
  const rule = { ...ruleFor(document, section, name) };
  const members: Record<string, boolean> = { ...rule.members };
  if (allowed === undefined) delete members[member];
  else
    Object.defineProperty(members, member, {
      value: allowed,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  rule.members = Object.keys(members).length === 0 ? undefined : members;
  return { ...document, [section]: withRule(document[section], name, rule) };
}

/** Replaces an item's whole rule; an empty rule is dropped. */
export function setRule(
  document: PolicyDocument,
  section: ItemSection,
  name: string,
  rule: ToolRule,
): PolicyDocument {
  return { ...document, [section]: withRule(document[section], name, rule) };
}

/** Renames a tool or changes its description; an empty string removes the override. */
export function setToolOverride(
  document: PolicyDocument,
  tool: string,
  field: 'name' | 'title' | 'description',
  value: string,
): PolicyDocument {
  const rule: ToolRule = { ...ruleFor(document, 'tools', tool) };
  rule[field] = value.trim() === '' ? undefined : value;
  return { ...document, tools: withRule(document.tools, tool, rule) };
}

export function setMode(document: PolicyDocument, mode: 'open' | 'allowlist'): PolicyDocument {
  return { ...document, mode };
}

export function setPinTools(document: PolicyDocument, pin: boolean): PolicyDocument {
  return { ...document, pin_tools: pin };
}

export function constraintsOf(
  document: PolicyDocument,
  tool: string,
): Partial<Record<ConstraintKey, Record<string, unknown>>> {
  return own(document.security?.tools, tool)?.argument_constraints ?? {};
}

/** Sets (or with `undefined` removes) the JSON Schema a role's calls of a tool must satisfy. */
export function setArgumentConstraint(
  document: PolicyDocument,
  tool: string,
  key: ConstraintKey,
  schema: Record<string, unknown> | undefined,
): PolicyDocument {
  const security: SecurityPolicy = { ...document.security };
  const toolSecurity: ToolSecurity = { ...own(security.tools, tool) };
  const constraints: Record<string, Record<string, unknown>> = {
    ...toolSecurity.argument_constraints,
  };
  if (schema === undefined) delete constraints[key];
  else constraints[key] = schema;
  toolSecurity.argument_constraints =
    Object.keys(constraints).length === 0 ? undefined : constraints;
  const tools = withRule(security.tools, tool, toolSecurity);
  security.tools = Object.keys(tools).length === 0 ? undefined : tools;
  return { ...document, security: isEmpty(security) ? undefined : security };
}

/** Replaces the security section (server-wide values and per-tool overrides). */
export function setSecurity(
  document: PolicyDocument,
  security: SecurityPolicy | undefined,
): PolicyDocument {
  const kept =
    security === undefined
      ? undefined
      : (Object.fromEntries(
          Object.entries(security).filter(([, value]) => value !== undefined),
        ) as SecurityPolicy);
  return { ...document, security: kept === undefined || isEmpty(kept) ? undefined : kept };
}

/** Documents compared by content, key order aside (to tell unsaved changes). */
export function sameDocument(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(record[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
