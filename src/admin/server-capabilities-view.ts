/**
 * The API's view of what an upstream lists (server-probe-routes.ts): its
 * tools, resources, resource templates and prompts, each field taken only
 * when it has the type MCP gives it, and, for a saved server, each item's
 * policy state.
 *
 * A member's lists go through the very policy interceptor their clients'
 * lists go through, so the dashboard shows a member exactly what their
 * clients see. A manager's lists are the upstream's, with the state of
 * each item at workspace level (before role and member overrides, like
 * GET …/tools).
 */
import { z } from 'zod';
import type { InterceptContext } from '../mcp/intercept/interceptor.ts';
import { isObject } from '../mcp/json-rpc.ts';
import type { JsonObject, JsonRpcRequest, JsonRpcResponse } from '../mcp/json-rpc.ts';
import { createPolicyInterceptor } from '../policy/policy-interceptor.ts';
import {
  createPolicyView,
  isQuarantined,
  ruleOf,
  templatePattern,
  toolState,
} from '../policy/policy-view.ts';
import type { PinState, PolicyMember } from '../policy/policy-view.ts';
import { OPEN_POLICY, serverPolicySchema } from '../policy/server-policy-schema.ts';
import type { ItemRule, ServerPolicy } from '../policy/server-policy-schema.ts';
import { toolHash } from '../policy/tool-pinning.ts';
import type { ServerPolicyRecord, ToolPin } from '../store/model.ts';
import type { CapabilityListing } from '../upstream/capability-listing.ts';

const json = z.record(z.string(), z.unknown());
const state = z
  .enum(['visible', 'disabled', 'pending', 'quarantined'])
  .optional()
  .describe(
    "Live capabilities only: the item's state at workspace level (`pending`: allowlist mode, not enabled yet; `quarantined`: pinning on and the definition changed since approved, or blocked by hand). Always `visible` in a member's view.",
  );

const toolView = z.object({
  name: z.string().describe("The upstream's name (a member's view: the name the member sees)."),
  title: z.string().nullable(),
  description: z.string().nullable(),
  annotations: json.nullable(),
  input_schema: json.nullable(),
  state,
  shown_as: z.string().optional().describe('Managers: the name members see (after a rename).'),
  overrides: z
    .object({
      name: z.string().optional(),
      title: z.string().optional(),
      description: z.string().optional(),
      annotations: json.optional(),
    })
    .nullable()
    .optional()
    .describe("Managers: the policy's presentation overrides of this tool; null when none."),
  pin: z
    .object({
      approved: z.boolean().describe('The current definition is the approved one.'),
      changed: z.boolean().describe('An approved definition exists and differs from this one.'),
      blocked: z.boolean(),
    })
    .nullable()
    .optional()
    .describe('Managers: what tool pinning knows of this tool; null when never recorded.'),
});

const resourceView = z.object({
  uri: z.string(),
  name: z.string().nullable(),
  title: z.string().nullable(),
  description: z.string().nullable(),
  mime_type: z.string().nullable(),
  state,
});

const templateView = z.object({
  uri_template: z.string(),
  name: z.string().nullable(),
  title: z.string().nullable(),
  description: z.string().nullable(),
  mime_type: z.string().nullable(),
  state,
});

const promptView = z.object({
  name: z.string(),
  title: z.string().nullable(),
  description: z.string().nullable(),
  arguments: z.array(
    z.object({ name: z.string(), description: z.string().nullable(), required: z.boolean() }),
  ),
  state,
});

export const itemViews = {
  tools: z.array(toolView),
  resources: z.array(resourceView),
  resource_templates: z.array(templateView),
  prompts: z.array(promptView),
};

const listingView = {
  era: z.enum(['legacy', 'modern']).describe('The protocol era the upstream answered in.'),
  protocol_version: z.string(),
  server_info: json,
  capabilities: json,
  instructions: z.string().nullable(),
  ...itemViews,
  truncated: z.boolean().describe('A list had more pages than the gateway reads here.'),
};

export const capabilitiesView = z.object({
  view: z
    .enum(['manager', 'member'])
    .describe(
      '`manager`: every upstream item with its state; `member`: what the policy shows you.',
    ),
  ...listingView,
  policy_version: z.number().int().describe('0 while the server has no policy.'),
  pin_tools: z.boolean(),
  latency_ms: z.number(),
});

type ToolView = z.infer<typeof toolView>;
type ItemState = NonNullable<z.infer<typeof state>>;

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const objectOf = (value: unknown): JsonObject | null => (isObject(value) ? value : null);

function showTool(tool: JsonObject): ToolView {
  return {
    name: text(tool.name) ?? '',
    title: text(tool.title),
    description: text(tool.description),
    annotations: objectOf(tool.annotations),
    input_schema: objectOf(tool.inputSchema),
  };
}

function showResource(resource: JsonObject) {
  return {
    uri: text(resource.uri) ?? '',
    name: text(resource.name),
    title: text(resource.title),
    description: text(resource.description),
    mime_type: text(resource.mimeType),
  };
}

function showTemplate(template: JsonObject) {
  return {
    uri_template: text(template.uriTemplate) ?? '',
    name: text(template.name),
    title: text(template.title),
    description: text(template.description),
    mime_type: text(template.mimeType),
  };
}

function showPrompt(prompt: JsonObject) {
  const args = Array.isArray(prompt.arguments) ? prompt.arguments.filter(isObject) : [];
  return {
    name: text(prompt.name) ?? '',
    title: text(prompt.title),
    description: text(prompt.description),
    arguments: args
      .filter((arg) => typeof arg.name === 'string')
      .map((arg) => ({
        name: arg.name as string,
        description: text(arg.description),
        required: arg.required === true,
      })),
  };
}

/** Items without the field that names them name nothing a client could use. */
const named = (field: string) => (item: JsonObject) => typeof item[field] === 'string';

export interface PolicyContext {
  readonly record: ServerPolicyRecord | undefined;
  readonly pins: readonly ToolPin[];
  readonly member: PolicyMember;
  readonly manager: boolean;
}

/** A stored document that no longer parses hides everything (as policy-routes.ts reads it). */
function policyOf(record: ServerPolicyRecord | undefined): ServerPolicy {
  if (record === undefined) return OPEN_POLICY;
  const parsed = serverPolicySchema.safeParse(record.document);
  return parsed.success ? parsed.data : serverPolicySchema.parse({ mode: 'allowlist' });
}

function itemState(policy: ServerPolicy, rule: ItemRule | undefined): ItemState {
  if (rule?.enabled === false) return 'disabled';
  if (rule?.enabled === undefined && policy.mode === 'allowlist') return 'pending';
  return 'visible';
}

function managerTool(policy: ServerPolicy, pins: Map<string, ToolPin>, tool: JsonObject): ToolView {
  const view = showTool(tool);
  const pin = pins.get(view.name);
  const hash = toolHash(tool);
  const pinState: PinState | undefined =
    pin === undefined
      ? undefined
      : { approvedHash: pin.approvedHash, seenHash: pin.seenHash, blocked: pin.blocked };
  const rule = ruleOf(policy.tools, view.name);
  const overrides =
    rule === undefined
      ? null
      : {
          ...(rule.name === undefined ? {} : { name: rule.name }),
          ...(rule.title === undefined ? {} : { title: rule.title }),
          ...(rule.description === undefined ? {} : { description: rule.description }),
          ...(rule.annotations === undefined ? {} : { annotations: rule.annotations }),
        };
  return {
    ...view,
    state: isQuarantined(policy, pinState, hash)
      ? 'quarantined'
      : toolState(policy, view.name, undefined),
    shown_as: rule?.name ?? view.name,
    overrides: overrides !== null && Object.keys(overrides).length > 0 ? overrides : null,
    pin:
      pin === undefined
        ? null
        : {
            approved: pin.approvedHash === hash,
            changed: pin.approvedHash !== null && pin.approvedHash !== hash,
            blocked: pin.blocked,
          },
  };
}

function resourceRule(policy: ServerPolicy, uri: string): ItemRule | undefined {
  const own = ruleOf(policy.resources, uri);
  if (own !== undefined) return own;
  for (const [template, rule] of Object.entries(policy.resource_templates))
    if (templatePattern(template).test(uri)) return rule;
  return undefined;
}

/** The member's lists, filtered and presented by the policy interceptor their clients get. */
function memberLists(listing: CapabilityListing, policy: ServerPolicy, context: PolicyContext) {
  const pins = new Map<string, PinState>(
    context.pins.map((pin) => [
      pin.tool,
      { approvedHash: pin.approvedHash, seenHash: pin.seenHash, blocked: pin.blocked },
    ]),
  );
  const interceptor = createPolicyInterceptor(
    createPolicyView(policy, context.member, pins),
    // Read-only: pins learn definitions from clients' lists, not from a look in the dashboard.
    { observeTool: () => undefined },
  );
  const filter = (method: string, field: string, items: JsonObject[]): JsonObject[] => {
    const request: JsonRpcRequest = { jsonrpc: '2.0', id: 0, method };
    const response: JsonRpcResponse = { jsonrpc: '2.0', id: 0, result: { [field]: items } };
    // The policy interceptor decides on the member's view alone; it reads no call context.
    const out = interceptor.onResponse!(
      response,
      request,
      {} as InterceptContext,
    ) as JsonRpcResponse;
    const list = out.result?.[field];
    return Array.isArray(list) ? list.filter(isObject) : [];
  };
  return {
    tools: filter('tools/list', 'tools', listing.tools),
    resources: filter('resources/list', 'resources', listing.resources),
    templates: filter('resources/templates/list', 'resourceTemplates', listing.resourceTemplates),
    prompts: filter('prompts/list', 'prompts', listing.prompts),
  };
}

function showListing(listing: CapabilityListing) {
  return {
    era: listing.era,
    protocol_version: listing.protocolVersion,
    server_info: listing.serverInfo,
    capabilities: listing.capabilities,
    instructions: listing.instructions ?? null,
    truncated: listing.truncated,
  };
}

/** A test result's lists: the upstream's items, no states (the definition is not saved). */
export function showCapabilities(listing: CapabilityListing): ReturnType<typeof showListing> & {
  tools: ToolView[];
  resources: ReturnType<typeof showResource>[];
  resource_templates: ReturnType<typeof showTemplate>[];
  prompts: ReturnType<typeof showPrompt>[];
};
/** A saved server's lists for one caller, with states. */
export function showCapabilities(
  listing: CapabilityListing,
  context: PolicyContext,
): z.infer<typeof capabilitiesView>;
export function showCapabilities(listing: CapabilityListing, context?: PolicyContext) {
  if (context === undefined)
    return {
      ...showListing(listing),
      tools: listing.tools.filter(named('name')).map(showTool),
      resources: listing.resources.filter(named('uri')).map(showResource),
      resource_templates: listing.resourceTemplates.filter(named('uriTemplate')).map(showTemplate),
      prompts: listing.prompts.filter(named('name')).map(showPrompt),
    };
  const policy = policyOf(context.record);
  const common = {
    ...showListing(listing),
    policy_version: context.record?.version ?? 0,
    pin_tools: policy.pin_tools,
    latency_ms: 0,
  };
  if (!context.manager) {
    const lists = memberLists(listing, policy, context);
    const visible = { state: 'visible' as const };
    return {
      view: 'member' as const,
      ...common,
      tools: lists.tools.filter(named('name')).map((tool) => ({ ...showTool(tool), ...visible })),
      resources: lists.resources
        .filter(named('uri'))
        .map((item) => ({ ...showResource(item), ...visible })),
      resource_templates: lists.templates
        .filter(named('uriTemplate'))
        .map((item) => ({ ...showTemplate(item), ...visible })),
      prompts: lists.prompts
        .filter(named('name'))
        .map((item) => ({ ...showPrompt(item), ...visible })),
    };
  }
  const pins = new Map(context.pins.map((pin) => [pin.tool, pin]));
  return {
    view: 'manager' as const,
    ...common,
    tools: listing.tools.filter(named('name')).map((tool) => managerTool(policy, pins, tool)),
    resources: listing.resources.filter(named('uri')).map((item) => {
      const view = showResource(item);
      return { ...view, state: itemState(policy, resourceRule(policy, view.uri)) };
    }),
    resource_templates: listing.resourceTemplates.filter(named('uriTemplate')).map((item) => {
      const view = showTemplate(item);
      return {
        ...view,
        state: itemState(policy, ruleOf(policy.resource_templates, view.uri_template)),
      };
    }),
    prompts: listing.prompts.filter(named('name')).map((item) => {
      const view = showPrompt(item);
      return { ...view, state: itemState(policy, ruleOf(policy.prompts, view.name)) };
    }),
  };
}
