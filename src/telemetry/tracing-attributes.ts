/**
 * Span names and MCP attributes from the OpenTelemetry semantic conventions
 * for MCP (gen-ai/mcp.md): `mcp.method.name`, `gen_ai.tool.name`,
 * `gen_ai.prompt.name`, `mcp.resource.uri`, shared by server and client spans.
 */
import type { AttributeValue } from './otlp-encode.ts';

export const nowMs = (): number => performance.timeOrigin + performance.now();

const LOW_CARDINALITY_TARGET = new Set(['tools/call', 'prompts/get']);

/** `{mcp.method.name} {target}` for tools and prompts, else the method (semconv span naming). */
export function spanName(method: string, target: string | null): string {
  return target !== null && LOW_CARDINALITY_TARGET.has(method) ? `${method} ${target}` : method;
}

/** Attributes of an MCP message from the OTel MCP conventions; the rest under `portcullis.*`. */
export function methodAttributes(
  attributes: Record<string, AttributeValue>,
  method: string,
  target: string | null,
): void {
  // GET/DELETE streams, batches and client answers are HTTP exchanges, not MCP methods.
  if (!/^[a-z]/.test(method)) return;
  attributes['mcp.method.name'] = method;
  if (target === null) return;
  if (method === 'tools/call') {
    attributes['gen_ai.tool.name'] = target;
    attributes['gen_ai.operation.name'] = 'execute_tool';
  } else if (method === 'prompts/get') attributes['gen_ai.prompt.name'] = target;
  // A URI's userinfo (scheme://user:password@host) is a credential: never in a span.
  else if (method.startsWith('resources/'))
    attributes['mcp.resource.uri'] = target.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1');
}
