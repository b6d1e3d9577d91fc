/**
 * Tool pinning: an approved tool definition is remembered by the SHA-256 of
 * its canonical JSON; a definition that changes afterwards (tool poisoning,
 * a "rug pull") no longer matches and is quarantined until approved again.
 */
import { createHash } from 'node:crypto';
import { isObject } from '../mcp/json-rpc.ts';
import type { JsonObject } from '../mcp/json-rpc.ts';

/** The parts of a tool that decide what a model does with it. */
const PINNED_FIELDS = [
  'name',
  'title',
  'description',
  'inputSchema',
  'outputSchema',
  'annotations',
];

/** JSON with object keys sorted at every depth (RFC 8785 ordering for the ASCII keys tools use). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function pinnedDefinition(tool: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const field of PINNED_FIELDS) if (tool[field] !== undefined) out[field] = tool[field];
  return out;
}

export function toolHash(tool: JsonObject): string {
  return createHash('sha256')
    .update(canonicalJson(pinnedDefinition(tool)))
    .digest('hex');
}

export interface DefinitionChange {
  /** Dotted path of the field that differs (`description`, `inputSchema.properties.x`). */
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** Field-by-field differences between two definitions (objects compared key by key, the rest whole). */
export function diffDefinitions(before: unknown, after: unknown, path = ''): DefinitionChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) =>
      diffDefinitions(before[key], after[key], path === '' ? key : `${path}.${key}`),
    );
  }
  if (canonicalJson(before ?? null) === canonicalJson(after ?? null)) return [];
  return [
    { path: path === '' ? '(definition)' : path, before: before ?? null, after: after ?? null },
  ];
}
