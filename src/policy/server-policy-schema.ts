/**
 * A server's policy document: which tools, resources (and templates) and
 * prompts members see and may use, how tools are presented, whether tool
 * definitions are pinned, and the security section (security-policy.ts).
 *
 * Decision order for one item and one member (most specific wins):
 *   member override → role override → the item's `enabled` → the mode's
 *   default (`open`: enabled; `allowlist`: disabled until approved).
 * Items are named as the upstream names them (tool name, resource URI,
 * resource template URI template, prompt name).
 */
import { z } from 'zod';
import { securityPolicySchema } from './security-policy.ts';

export const POLICY_ROLES = ['owner', 'admin', 'member', 'viewer'] as const;

const overrides = {
  enabled: z.boolean().optional(),
  /** Per-role decision; beats `enabled`. */
  roles: z.partialRecord(z.enum(POLICY_ROLES), z.boolean()).optional(),
  /** Per-member decision by user id; beats the role. */
  members: z.record(z.string().min(1), z.boolean()).optional(),
};

export const itemRuleSchema = z.strictObject(overrides);

/** MCP tool names: 1–128 of A–Z a–z 0–9 _ - . (2025-11-25 server/tools "Tool names"). */
const toolName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'A tool name is 1–128 characters of A–Z a–z 0–9 _ - .');

export const toolRuleSchema = z.strictObject({
  ...overrides,
  /** What members see and call the tool by; calls are mapped back to the upstream's name. */
  name: toolName.optional(),
  title: z.string().max(1000).optional(),
  description: z.string().max(100_000).optional(),
  /** Replaces the listed keys of the tool's annotations (hints such as readOnlyHint). */
  annotations: z.record(z.string(), z.unknown()).optional(),
});

export const serverPolicySchema = z
  .strictObject({
    /** `allowlist`: an item nobody enabled stays hidden, new upstream items included. */
    mode: z.enum(['open', 'allowlist']).default('open'),
    /**
     * Pin tool definitions: a tool seen (open mode) or approved (allowlist)
     * is pinned by the hash of its definition; a changed definition is
     * quarantined until an admin approves it again.
     */
    pin_tools: z.boolean().default(false),
    tools: z.record(z.string().min(1), toolRuleSchema).default({}),
    resources: z.record(z.string().min(1), itemRuleSchema).default({}),
    resource_templates: z.record(z.string().min(1), itemRuleSchema).default({}),
    prompts: z.record(z.string().min(1), itemRuleSchema).default({}),
    security: securityPolicySchema.optional(),
  })
  .superRefine((policy, context) => {
    // A member must never see two tools under one name, nor a renamed tool's old name.
    const shown = new Map<string, string>();
    for (const [upstream, rule] of Object.entries(policy.tools)) {
      const name = rule.name ?? upstream;
      const other = shown.get(name);
      if (other !== undefined)
        context.addIssue({
          code: 'custom',
          path: ['tools', upstream, 'name'],
          message: `Tools "${other}" and "${upstream}" would both be shown as "${name}".`,
        });
      shown.set(name, upstream);
    }
  });

export type ServerPolicy = z.infer<typeof serverPolicySchema>;
export type ServerPolicyInput = z.input<typeof serverPolicySchema>;
export type ItemRule = z.infer<typeof itemRuleSchema>;
export type ToolRule = z.infer<typeof toolRuleSchema>;
export type ItemKind = 'tool' | 'resource' | 'resource_template' | 'prompt';

/** The document of a server without one: everything visible, nothing pinned. */
export const OPEN_POLICY: ServerPolicy = Object.freeze(serverPolicySchema.parse({}));
