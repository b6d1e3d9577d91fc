/**
 * What an audit entry changed: its `before` and `after` states compared
 * field by field, descending into objects and arrays present on both sides
 * (`servers.0.url`). A field that appears, disappears or changes kind is one
 * change with its whole value. Values are JSON text, rendered as text only.
 */

export interface Change {
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed';
  /** JSON text; undefined when the field did not exist on that side. */
  readonly before?: string;
  readonly after?: string;
}

type Container = Record<string, unknown> | unknown[];

const isContainer = (value: unknown): value is Container =>
  value !== null && typeof value === 'object';

const json = (value: unknown) => (value === undefined ? 'null' : JSON.stringify(value));

const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

/** Object keys alphabetically, array indexes numerically. */
function keysOf(a: Container, b: Container): string[] {
  if (Array.isArray(a))
    return Array.from({ length: Math.max(a.length, (b as unknown[]).length) }, (_, i) => String(i));
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

function walk(a: unknown, b: unknown, path: string, out: Change[]): void {
  if (isContainer(a) && isContainer(b) && Array.isArray(a) === Array.isArray(b)) {
    const left = a as Record<string, unknown>;
    const right = b as Record<string, unknown>;
    for (const key of keysOf(a, b)) {
      const at = join(path, key);
      if (!Object.hasOwn(left, key)) out.push({ path: at, kind: 'added', after: json(right[key]) });
      else if (!Object.hasOwn(right, key))
        out.push({ path: at, kind: 'removed', before: json(left[key]) });
      else walk(left[key], right[key], at, out);
    }
    return;
  }
  if (json(a) !== json(b)) out.push({ path, kind: 'changed', before: json(a), after: json(b) });
}

/** Changes from `before` to `after`; a null side (creation, deletion) counts as an empty object. */
export function diffJson(before: unknown, after: unknown): Change[] {
  const absent = (value: unknown) => value === null || value === undefined;
  if (absent(before) && absent(after)) return [];
  const changes: Change[] = [];
  walk(absent(before) ? {} : before, absent(after) ? {} : after, '', changes);
  return changes;
}

/** Pretty JSON text of a value for a <pre> block; strings as they are. */
export function prettyJson(value: unknown): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2);
}
