/**
 * How a tool is presented to members and judged by the gateway: its shown
 * name, title, description and the annotation hints that override the
 * upstream's. Read-only mode and the confirmation of destructive tools judge
 * a tool by its annotations with these overrides on top (docs/policy.md), so
 * each hint is a tri-state: as the upstream says, true, or false.
 */
import { ruleFor, setRule } from './policy-document.ts';
import type { PolicyDocument, ToolRule } from './policy-document.ts';

/** MCP ToolAnnotations hints and their defaults when absent (2025-11-25 server/tools). */
export const ANNOTATION_HINTS = [
  { key: 'readOnlyHint', label: 'Read-only', absent: false },
  { key: 'destructiveHint', label: 'Destructive', absent: true },
  { key: 'idempotentHint', label: 'Idempotent', absent: false },
  { key: 'openWorldHint', label: 'Open world', absent: true },
] as const;
export type AnnotationHint = (typeof ANNOTATION_HINTS)[number]['key'];

/**
 * The override of one hint. `kept` is a value the document holds that is not
 * a boolean (a YAML config may write one); the gateway then judges the tool
 * by the hint's default, so it is shown as such and kept until changed.
 */
export type HintChoice = 'upstream' | 'true' | 'false' | 'kept';

export type Annotations = Readonly<Record<string, unknown>>;

function own(record: Annotations | undefined, key: string): unknown {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

export function hintChoice(overrides: Annotations | undefined, hint: AnnotationHint): HintChoice {
  if (overrides === undefined || !Object.hasOwn(overrides, hint)) return 'upstream';
  const value = overrides[hint];
  return value === true ? 'true' : value === false ? 'false' : 'kept';
}

/**
 * Sets one hint's override; `upstream` removes it, and the last one removed
 * removes `annotations` from the rule (and an emptied rule from the document).
 * Other annotation keys the document holds are kept.
 */
export function setAnnotationHint(
  document: PolicyDocument,
  tool: string,
  hint: AnnotationHint,
  choice: Exclude<HintChoice, 'kept'>,
): PolicyDocument {
  const rule: ToolRule = { ...ruleFor(document, 'tools', tool) };
  const annotations: Record<string, unknown> = { ...rule.annotations };
  if (choice === 'upstream') delete annotations[hint];
  else annotations[hint] = choice === 'true';
  rule.annotations = Object.keys(annotations).length === 0 ? undefined : annotations;
  return setRule(document, 'tools', tool, rule);
}

/**
 * Drops every presentation override of a tool (name, title, description,
 * annotations); its enabled, role and member decisions stay.
 */
export function clearToolOverrides(document: PolicyDocument, tool: string): PolicyDocument {
  return setRule(document, 'tools', tool, {
    ...ruleFor(document, 'tools', tool),
    name: undefined,
    title: undefined,
    description: undefined,
    annotations: undefined,
  });
}

export function hasOverrides(rule: ToolRule): boolean {
  return (
    rule.name !== undefined ||
    rule.title !== undefined ||
    rule.description !== undefined ||
    rule.annotations !== undefined
  );
}

/** What the upstream says of a hint, as the tab shows it. */
export function upstreamHintText(upstream: Annotations | undefined, hint: AnnotationHint): string {
  const value = own(upstream, hint);
  const absent = ANNOTATION_HINTS.find((entry) => entry.key === hint)!.absent;
  if (value === undefined) return `not set (counts as ${String(absent)})`;
  if (typeof value === 'boolean') return String(value);
  return `${JSON.stringify(value)} (not a boolean: counts as ${String(absent)})`;
}

/** The hint as the gateway judges the tool: the override on top of the upstream's value. */
export function effectiveHint(
  upstream: Annotations | undefined,
  overrides: Annotations | undefined,
  hint: AnnotationHint,
): boolean {
  const value =
    overrides !== undefined && Object.hasOwn(overrides, hint)
      ? overrides[hint]
      : own(upstream, hint);
  const absent = ANNOTATION_HINTS.find((entry) => entry.key === hint)!.absent;
  return typeof value === 'boolean' ? value : absent;
}

/** MCP tool names: 1–128 of A–Z a–z 0–9 _ - . (as the policy schema checks). */
const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * What is wrong with showing `tool` as `shown`, before asking the gateway:
 * a name MCP refuses, or a name another tool is already shown as. `others`
 * maps every other known tool's upstream name to the name it is shown as.
 */
export function shownNameProblem(
  tool: string,
  shown: string,
  others: ReadonlyMap<string, string>,
): string | undefined {
  if (shown === '' || shown === tool) return undefined;
  if (!TOOL_NAME.test(shown)) return 'A tool name is 1–128 characters of A–Z a–z 0–9 _ - .';
  for (const [upstream, name] of others)
    if (upstream !== tool && name === shown)
      return upstream === shown
        ? `The upstream's tool "${upstream}" has this name.`
        : `Tool "${upstream}" is already shown as "${shown}".`;
  return undefined;
}

/**
 * The shown-name problem of every renamed tool in the document, by upstream
 * name; `known` are the tools the tab lists (live, seen, or in the policy).
 */
export function namingProblems(
  document: PolicyDocument,
  known: readonly string[],
): Map<string, string> {
  const shown = new Map<string, string>();
  for (const name of known) shown.set(name, ruleFor(document, 'tools', name).name ?? name);
  for (const name of Object.keys(document.tools ?? {}))
    shown.set(name, ruleFor(document, 'tools', name).name ?? name);
  const problems = new Map<string, string>();
  for (const [tool, name] of shown) {
    const problem = shownNameProblem(tool, name, shown);
    if (problem !== undefined) problems.set(tool, problem);
  }
  return problems;
}
