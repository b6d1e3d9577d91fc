/**
 * Reads and validates the declarative config file. Every problem is
 * reported at once as `path: message (line L, column C)`; secrets are not
 * resolved here (see resolve-config-secrets.ts, used at apply time).
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import type { z } from 'zod';
import type { ConfigIssue } from './config-issue.ts';
import { ConfigFileError } from './config-issue.ts';
import { declarativeConfigSchema } from './declarative-schema.ts';
import type { DeclarativeConfig } from './declarative-schema.ts';

type PathSegment = string | number;

interface Located {
  node: Node | null;
  /** The key node when the path ends at a map entry. */
  key: Node | null;
  /** True when every segment was found. */
  exact: boolean;
}

function findEntry(node: unknown, segment: PathSegment) {
  if (isMap(node)) {
    const pair = node.items.find(
      (item) => isScalar(item.key) && String(item.key.value) === String(segment),
    );
    if (pair === undefined || !isPair(pair)) return undefined;
    return { node: (pair.value ?? null) as Node | null, key: pair.key as Node };
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return item === undefined ? undefined : { node: item as Node, key: null };
  }
  return undefined;
}

/** The deepest node on `path`: the value itself, or the closest parent that exists. */
function locate(doc: Document, path: readonly PathSegment[]): Located {
  let current: Located = { node: doc.contents, key: null, exact: true };
  for (const segment of path) {
    const next = findEntry(current.node, segment);
    if (next === undefined) return { ...current, exact: false };
    current = { node: next.node ?? next.key, key: next.key, exact: true };
  }
  return current;
}

function position(counter: LineCounter, node: Node | null) {
  const offset = node?.range?.[0];
  if (offset === undefined) return {};
  const { line, col } = counter.linePos(offset);
  return { line, column: col };
}

function joinPath(path: readonly PathSegment[]): string {
  return path.length === 0 ? '(root)' : path.join('.');
}

/** Zod issues become config issues: one per unknown key, "is required" for missing fields. */
function toIssues(error: z.ZodError, doc: Document, counter: LineCounter): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((segment) => typeof segment !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const located = locate(doc, [...path, key]);
        issues.push({
          path: joinPath([...path, key]),
          message: 'is not a known key',
          ...position(counter, located.key ?? located.node),
        });
      }
      continue;
    }
    const located = locate(doc, path);
    issues.push({
      path: joinPath(path),
      message: issue.message,
      ...position(counter, located.node),
    });
  }
  return issues;
}

/**
 * `toJS()` keeps `__proto__` as an own key, but zod copies records by
 * assignment, which turns it into the copy's prototype: an `env` or
 * `headers` entry named so would vanish from a config reported valid.
 */
function protoKeyIssues(data: unknown, doc: Document, counter: LineCounter): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const pending: Array<[unknown, PathSegment[]]> = [[data, []]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [value, path] = next;
    if (typeof value !== 'object' || value === null) continue;
    for (const [key, item] of Object.entries(value)) {
      const at = [...path, Array.isArray(value) ? Number(key) : key];
      if (key === '__proto__') {
        const located = locate(doc, at);
        issues.push({
          path: joinPath(at),
          message: 'is not allowed as a key',
          ...position(counter, located.key ?? located.node),
        });
      } else pending.push([item, at]);
    }
  }
  return issues;
}

function inFileOrder(issues: ConfigIssue[]): ConfigIssue[] {
  const at = (issue: ConfigIssue) => (issue.line ?? Infinity) * 1e6 + (issue.column ?? 0);
  return issues.toSorted((a, b) => at(a) - at(b));
}

const errorMessages = (issue: { code: string; input?: unknown }) =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : undefined;

/** Parses and validates config text; throws ConfigFileError listing every issue. */
export function parseConfigText(text: string, file = 'config'): DeclarativeConfig {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigFileError(
      file,
      doc.errors.map((error) => {
        const { line, col } = counter.linePos(error.pos[0]);
        return { path: '(yaml)', message: error.message, line, column: col };
      }),
    );
  }
  const data: unknown = doc.toJS() ?? {};
  const protoKeys = protoKeyIssues(data, doc, counter);
  if (protoKeys.length > 0) throw new ConfigFileError(file, inFileOrder(protoKeys));
  const parsed = declarativeConfigSchema.safeParse(data, { error: errorMessages });
  if (!parsed.success)
    throw new ConfigFileError(file, inFileOrder(toIssues(parsed.error, doc, counter)));
  return parsed.data;
}

export async function loadConfigFile(file: string): Promise<DeclarativeConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new ConfigFileError(file, [{ path: '(file)', message: `cannot be read (${reason})` }]);
  }
  return parseConfigText(text, file);
}
