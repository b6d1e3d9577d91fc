/**
 * `Mcp-Param-{Name}` headers of bridged `tools/call` requests.
 *
 * A 2026-07-28 client mirrors tool arguments annotated with `x-mcp-header`
 * into headers, and a modern server validates them against the body
 * (SEP-2243, streamable-http "Custom headers"). Across the bridge the
 * gateway plays the missing side: toward a modern upstream it writes the
 * headers a 2025 client never sends; for a legacy upstream, which knows
 * nothing of them, it validates what the modern client sent. Either way it
 * needs each tool's annotations, learned from the `tools/list` results it
 * relays or, when a tool is not known yet, from a fresh `tools/list`.
 *
 * Annotations count only on properties reachable through `properties`
 * alone (the spec's static-reachability rule); values are strings, numbers
 * and booleans, Base64-wrapped when not a safe plain ASCII field value.
 */
import { GatewayError } from '../../shared/errors.ts';
import { isObject } from '../json-rpc.ts';
import type { JsonObject } from '../json-rpc.ts';
import { decodeHeaderValue } from '../modern/standard-headers.ts';

type Declarations = Array<{ path: string[]; header: string }>;

export interface ToolParamHeaders {
  /** Records the annotations of every tool in a `tools/list` result page. */
  learn(serverKey: string, listResult: JsonObject): void;
  /** Whether the tool's annotations are known. */
  knows(serverKey: string, tool: string): boolean;
  /** True at most once a minute per server: the caller may then fetch the whole tool list. */
  mayRefresh(serverKey: string): boolean;
  /** The headers a modern client would send for this call (header names lowercase). */
  headersFor(serverKey: string, tool: string, args: unknown): Record<string, string>;
  /** Throws `header_mismatch` unless the sent `mcp-param-*` headers match the call's arguments. */
  check(
    serverKey: string,
    tool: string,
    args: unknown,
    sent: Record<string, string | string[] | undefined>,
  ): void;
}

const REFRESH_MS = 60_000;

function mismatch(header: string, body: string): GatewayError {
  return new GatewayError(
    'header_mismatch',
    `Bad Request: the request headers and body disagree: ${body}`,
    { data: { mismatch: { header, body } } },
  );
}

function declarationsOf(schema: unknown): Declarations {
  const out: Declarations = [];
  const visit = (node: unknown, path: string[]): void => {
    if (!isObject(node)) return;
    const header = node['x-mcp-header'];
    if (
      path.length > 0 &&
      typeof header === 'string' &&
      /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)
    )
      out.push({ path, header });
    if (isObject(node.properties))
      for (const [key, child] of Object.entries(node.properties)) visit(child, [...path, key]);
  };
  visit(schema, []);
  return out;
}

function needsBase64(value: string): boolean {
  if (value.length === 0 || value !== value.trim()) return true;
  if (value.startsWith('=?base64?') && value.endsWith('?=')) return true;
  return !/^[\x20-\x7e\t]*$/.test(value);
}

/** A header value as the spec encodes it: plain when safe, else `=?base64?…?=`. */
export function encodeHeaderValue(value: string): string {
  return needsBase64(value) ? `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=` : value;
}

function primitiveText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export function createToolParamHeaders(maxTools: number): ToolParamHeaders {
  const tools = new Map<string, Declarations>();
  const refreshed = new Map<string, number>();
  const valueAt = (args: unknown, path: string[]): unknown => {
    let value: unknown = args;
    for (const key of path) value = isObject(value) ? value[key] : undefined;
    return value;
  };
  const keyOf = (serverKey: string, tool: string): string => `${serverKey}\n${tool}`;
  return {
    learn(serverKey, listResult) {
      if (!Array.isArray(listResult.tools)) return;
      for (const tool of listResult.tools) {
        if (!isObject(tool) || typeof tool.name !== 'string') continue;
        const key = keyOf(serverKey, tool.name);
        tools.delete(key);
        tools.set(key, declarationsOf(tool.inputSchema));
        if (tools.size > maxTools) {
          const oldest = tools.keys().next().value;
          if (oldest !== undefined) tools.delete(oldest);
        }
      }
    },
    knows: (serverKey, tool) => tools.has(keyOf(serverKey, tool)),
    mayRefresh(serverKey) {
      const last = refreshed.get(serverKey);
      if (last !== undefined && Date.now() - last < REFRESH_MS) return false;
      refreshed.set(serverKey, Date.now());
      return true;
    },
    headersFor(serverKey, tool, args) {
      const out: Record<string, string> = {};
      for (const { path, header } of tools.get(keyOf(serverKey, tool)) ?? []) {
        const text = primitiveText(valueAt(args, path));
        if (text !== undefined) out[`mcp-param-${header.toLowerCase()}`] = encodeHeaderValue(text);
      }
      return out;
    },
    check(serverKey, tool, args, sent) {
      for (const { path, header } of tools.get(keyOf(serverKey, tool)) ?? []) {
        const name = `Mcp-Param-${header}`;
        const raw = sent[name.toLowerCase()];
        const value = Array.isArray(raw) ? raw[0] : raw;
        const expected = primitiveText(valueAt(args, path));
        if (expected === undefined) {
          if (value !== undefined)
            throw mismatch(value, `${name} is set but the argument ${path.join('.')} is absent`);
          continue;
        }
        if (value === undefined)
          throw mismatch(
            '(missing)',
            `the argument ${path.join('.')} is set but ${name} is absent`,
          );
        const decoded = decodeHeaderValue(value.trim());
        if (decoded === undefined)
          throw mismatch(value, `${name} carries an invalid Base64 sentinel value`);
        if (decoded !== expected)
          throw mismatch(value, `${name} does not match the argument ${path.join('.')}`);
      }
    },
  };
}
