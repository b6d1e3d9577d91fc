/**
 * The rows of the capabilities tab: every tool, resource and prompt the
 * gateway knows of (the upstream's live list when it answered, the tools the
 * gateway last saw, and items the policy names), each with what the policy
 * and tool pinning make of it.
 */
import type { ApiResult } from '../api/client.ts';
import { isEnabled, ruleFor } from './policy-document.ts';
import type { ItemSection, PolicyDocument, PolicyRole, ToolRule } from './policy-document.ts';

export type ToolPin = ApiResult<
  '/api/v1/workspaces/{workspaceId}/servers/{serverId}/tools',
  'get'
>[number];
export type PinState = ToolPin['state'];

/** What the upstream lists now, as far as the tab uses it. */
export interface LiveItem {
  readonly name: string;
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  /** A tool's annotations as the upstream gives them. */
  readonly annotations?: Readonly<Record<string, unknown>> | undefined;
  /** The gateway's decision at workspace level, when the live list gives it. */
  readonly state?: PinState | undefined;
}

export interface CapabilityRow {
  /** The item's name at the upstream (tool or prompt name, resource URI). */
  readonly name: string;
  readonly title: string | undefined;
  readonly description: string | undefined;
  /** Enabled for the workspace, before role and member overrides. */
  readonly enabled: boolean;
  readonly roles: Partial<Record<PolicyRole, boolean>>;
  /** Members' own decisions, by user id. */
  readonly members: Readonly<Record<string, boolean>>;
  /** Whether the upstream listed it just now; undefined when no live list was read. */
  readonly live: boolean | undefined;
}

export interface ToolRow extends CapabilityRow {
  readonly rule: ToolRule;
  /** The upstream's annotations (live, else the definition last seen), before overrides. */
  readonly upstreamAnnotations: Readonly<Record<string, unknown>> | undefined;
  /** The pin, when the gateway has seen the tool. */
  readonly pin: ToolPin | undefined;
  readonly quarantined: boolean;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function objectOf(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function baseRow(
  document: PolicyDocument,
  section: ItemSection,
  name: string,
  live: LiveItem | undefined,
  liveKnown: boolean,
): CapabilityRow {
  const rule = ruleFor(document, section, name);
  return {
    name,
    title: live?.title,
    description: live?.description,
    enabled: isEnabled(document, section, name),
    roles: rule.roles ?? {},
    members: rule.members ?? {},
    live: liveKnown ? live !== undefined : undefined,
  };
}

function byName<T extends { name: string }>(rows: T[]): T[] {
  return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function toolRows(
  document: PolicyDocument,
  pins: readonly ToolPin[],
  live: readonly LiveItem[] | undefined,
): ToolRow[] {
  const names = new Set<string>([
    ...(live ?? []).map((item) => item.name),
    ...pins.map((pin) => pin.tool),
    ...Object.keys(document.tools ?? {}),
  ]);
  return byName(
    [...names].map((name) => {
      const liveItem = live?.find((item) => item.name === name);
      const pin = pins.find((entry) => entry.tool === name);
      const base = baseRow(document, 'tools', name, liveItem, live !== undefined);
      return {
        ...base,
        title: base.title ?? text(pin?.definition?.title),
        description: base.description ?? text(pin?.definition?.description),
        rule: ruleFor(document, 'tools', name),
        upstreamAnnotations:
          liveItem !== undefined ? liveItem.annotations : objectOf(pin?.definition?.annotations),
        pin,
        quarantined: pin?.state === 'quarantined' || liveItem?.state === 'quarantined',
      };
    }),
  );
}

export function itemRows(
  document: PolicyDocument,
  section: Exclude<ItemSection, 'tools'>,
  live: readonly LiveItem[] | undefined,
): CapabilityRow[] {
  const names = new Set<string>([
    ...(live ?? []).map((item) => item.name),
    ...Object.keys(document[section] ?? {}),
  ]);
  return byName(
    [...names].map((name) =>
      baseRow(
        document,
        section,
        name,
        live?.find((item) => item.name === name),
        live !== undefined,
      ),
    ),
  );
}

/** One changed field of a quarantined tool, both sides as display text. */
export interface DiffRow {
  readonly path: string;
  readonly before: string;
  readonly after: string;
}

function display(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2);
}

export function diffRows(
  changes: readonly { path: string; before?: unknown; after?: unknown }[],
): DiffRow[] {
  return changes.map((change) => ({
    path: change.path,
    before: display(change.before),
    after: display(change.after),
  }));
}
