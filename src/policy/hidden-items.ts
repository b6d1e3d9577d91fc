/**
 * Hidden ≡ absent: a call to a tool, prompt or resource the policy hides is
 * refused with the very error an MCP server built on the SDK answers for a
 * name it does not have (probed against the SDK v2 server in both eras), so
 * a client cannot tell a hidden item from a missing one.
 */
import type { JsonRpcErrorObject } from '../mcp/json-rpc.ts';
import { JsonRpcCode } from '../shared/errors.ts';

export function unknownToolError(name: string): JsonRpcErrorObject {
  return { code: JsonRpcCode.InvalidParams, message: `Tool ${name} not found` };
}

export function unknownPromptError(name: string): JsonRpcErrorObject {
  return { code: JsonRpcCode.InvalidParams, message: `Prompt ${name} not found` };
}

export function unknownResourceError(uri: string): JsonRpcErrorObject {
  return { code: JsonRpcCode.InvalidParams, message: `Resource not found: ${uri}`, data: { uri } };
}

/**
 * A name or URI that is not a string cannot be decided on: refused rather
 * than forwarded, since an upstream that coerces it (`tools[["secret"]]` in
 * JavaScript reads `tools.secret`) would run an item the policy hides.
 */
export function malformedParamError(method: string, field: string): JsonRpcErrorObject {
  return {
    code: JsonRpcCode.InvalidParams,
    message: `Invalid params: ${method} needs a string ${field}`,
  };
}

/** `completion/complete` on a `ref/resource` the upstream does not have (no template of that text). */
export function unknownTemplateError(uri: string): JsonRpcErrorObject {
  return { code: JsonRpcCode.InvalidParams, message: `Resource template ${uri} not found` };
}
