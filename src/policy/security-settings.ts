/**
 * The effective security settings of one tool: the server-wide values of the
 * `security` section, overridden by `tools.<name>`; and what a tool's MCP
 * annotations mean for read-only mode and confirmation.
 */
import type { JsonObject } from '../mcp/json-rpc.ts';
import { isObject } from '../mcp/json-rpc.ts';
import type { Role } from '../store/model.ts';
import type { SecurityPolicy } from './security-policy.ts';

export interface ToolSettings {
  readonly timeoutMs: number | undefined;
  readonly maxRequestBytes: number | undefined;
  readonly maxResponseBytes: number | undefined;
  readonly confirmDestructive: boolean;
  /** The argument constraint for the caller's role (its own, else `*`), if any. */
  readonly constraint: JsonObject | undefined;
}

export function toolSettings(
  policy: SecurityPolicy,
  tool: string | null,
  role: Role | null,
): ToolSettings {
  const own = tool === null ? undefined : policy.tools?.[tool];
  const constraints = own?.argument_constraints;
  const constraint =
    constraints === undefined
      ? undefined
      : ((role === null ? undefined : constraints[role]) ?? constraints['*']);
  return {
    timeoutMs: own?.timeout_ms ?? policy.timeout_ms,
    maxRequestBytes: own?.max_request_bytes ?? policy.max_request_bytes,
    maxResponseBytes: own?.max_response_bytes ?? policy.max_response_bytes,
    confirmDestructive: own?.confirm_destructive ?? policy.confirm_destructive ?? false,
    constraint,
  };
}

function annotationsOf(tool: JsonObject | undefined): JsonObject {
  return tool !== undefined && isObject(tool.annotations) ? tool.annotations : {};
}

/** Only an explicit `readOnlyHint: true` makes a tool read-only (MCP ToolAnnotations default false). */
export function isReadOnlyTool(tool: JsonObject | undefined): boolean {
  return annotationsOf(tool).readOnlyHint === true;
}

/**
 * MCP ToolAnnotations: `destructiveHint` (default true) is meaningful only
 * when `readOnlyHint` is false (its default). So a tool is destructive unless
 * it is read-only or says `destructiveHint: false`; an unknown tool is too.
 */
export function isDestructiveTool(tool: JsonObject | undefined): boolean {
  const annotations = annotationsOf(tool);
  if (annotations.readOnlyHint === true) return false;
  return annotations.destructiveHint !== false;
}
