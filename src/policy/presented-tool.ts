/**
 * A tool as the gateway presents it is sometimes a copy of the upstream's
 * definition (argument constraints narrow its input schema). Pinning must
 * judge what the upstream showed, not the gateway's own changes: each copy
 * remembers the definition it was made from.
 */
import type { JsonObject } from '../mcp/json-rpc.ts';

const madeFrom = new WeakMap<JsonObject, JsonObject>();

/** Marks `presented` as the gateway's copy of `upstream`; returns it. */
export function presentedFrom(upstream: JsonObject, presented: JsonObject): JsonObject {
  madeFrom.set(presented, upstreamDefinition(upstream));
  return presented;
}

/** The definition the upstream showed for `tool`, before any gateway change. */
export function upstreamDefinition(tool: JsonObject): JsonObject {
  return madeFrom.get(tool) ?? tool;
}
