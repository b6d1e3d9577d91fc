/**
 * Which server→client requests of a shared stdio process may reach which
 * downstream client (MCP client/sampling, client/elicitation, client/roots).
 *
 * The process is initialized once for every member, so it is initialized
 * declaring sampling (with tools), elicitation (form and URL) and roots: a
 * server that needs one of them still offers its tools. Whether a given
 * request may be forwarded is decided per call, against what the client of
 * that call declared in its own `initialize` (or 2026-07-28 envelope):
 *
 *   - a server→client request is attributed only when exactly one call is in
 *     flight on the process (stdio carries no related-request id), and then
 *     only to that call's client;
 *   - it is forwarded only if that client declared the capability the method
 *     needs; otherwise the gateway answers the process with an error at once.
 *
 * It never reaches a client that did not declare the capability, nor
 * another member's session. The declaration travels in the upstream session
 * id as a bit mask, so nothing is stored per downstream session.
 */
import { isObject } from '../mcp/json-rpc.ts';
import type { JsonObject, JsonRpcRequest } from '../mcp/json-rpc.ts';

/** What the shared process is told the client supports. */
export const SHARED_PROCESS_CAPABILITIES: JsonObject = {
  sampling: { tools: {} },
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
};

const SAMPLING = 1;
const SAMPLING_TOOLS = 2;
const ELICITATION_FORM = 4;
const ELICITATION_URL = 8;
const ROOTS = 16;

export type CapabilityMask = number;

/** The client→server capabilities a downstream client declared, as a mask. */
export function capabilityMask(capabilities: unknown): CapabilityMask {
  if (!isObject(capabilities)) return 0;
  let mask = 0;
  const { sampling, elicitation, roots } = capabilities;
  if (isObject(sampling)) {
    mask |= SAMPLING;
    if (isObject(sampling.tools)) mask |= SAMPLING_TOOLS;
  }
  if (isObject(elicitation)) {
    // An empty elicitation capability means form mode (2025-11-25 client/elicitation).
    const form = isObject(elicitation.form) || !isObject(elicitation.url);
    if (form) mask |= ELICITATION_FORM;
    if (isObject(elicitation.url)) mask |= ELICITATION_URL;
  }
  if (isObject(roots)) mask |= ROOTS;
  return mask;
}

/** The capability `request` needs from the client, or undefined when it needs none. */
function requiredBit(request: JsonRpcRequest): { bit: number; name: string } | undefined {
  const params = request.params ?? {};
  switch (request.method) {
    case 'sampling/createMessage':
      return params.tools !== undefined || params.toolChoice !== undefined
        ? { bit: SAMPLING_TOOLS, name: 'sampling.tools' }
        : { bit: SAMPLING, name: 'sampling' };
    case 'elicitation/create':
      return params.mode === 'url'
        ? { bit: ELICITATION_URL, name: 'elicitation.url' }
        : { bit: ELICITATION_FORM, name: 'elicitation.form' };
    case 'roots/list':
      return { bit: ROOTS, name: 'roots' };
    default:
      return undefined;
  }
}

/** The capability the client lacks for `request`, or undefined when it may receive it. */
export function missingCapability(
  request: JsonRpcRequest,
  mask: CapabilityMask,
): string | undefined {
  const required = requiredBit(request);
  return required === undefined || (mask & required.bit) !== 0 ? undefined : required.name;
}
