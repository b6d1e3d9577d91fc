/**
 * The tools each server showed in its last `tools/list` pages, kept per
 * instance: a `tools/call` is judged (read-only, destructive) by the
 * annotations the upstream gave that tool. On a miss the interceptor reads
 * the definition the policy stored when it last saw the tool (tool pins),
 * so another instance's listing counts too. A tool seen nowhere is judged
 * with the MCP defaults (not read-only, destructive): a cold catalogue
 * fails closed, read-only mode refuses the tool and confirmation asks.
 */
import type { JsonObject } from '../mcp/json-rpc.ts';
import { GenerationalCache } from '../shared/generational-cache.ts';

const MAX_TOOLS_PER_SERVER = 5_000;
const MAX_SERVERS = 10_000;

export interface ToolCatalogue {
  remember(serverKey: string, tools: readonly JsonObject[]): void;
  find(serverKey: string, name: string): JsonObject | undefined;
}

export function createToolCatalogue(): ToolCatalogue {
  const servers = new GenerationalCache<string, GenerationalCache<string, JsonObject>>(MAX_SERVERS);
  return {
    remember(serverKey, tools) {
      let known = servers.get(serverKey);
      if (known === undefined) {
        known = new GenerationalCache(MAX_TOOLS_PER_SERVER);
        servers.set(serverKey, known);
      }
      for (const tool of tools) if (typeof tool.name === 'string') known.set(tool.name, tool);
    },
    find(serverKey, name) {
      return servers.get(serverKey)?.get(name);
    },
  };
}
