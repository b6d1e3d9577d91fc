/**
 * The security tab's form: the policy's `security` section as text fields
 * (blank = no limit of the policy's own), checked with the same bounds the
 * gateway's schema applies (src/policy/security-policy.ts) so a typo is
 * caught before the save, and turned back into the section. Argument
 * constraints are edited on the capabilities tab and kept as they are.
 */
import type { SecurityPolicy, ToolSecurity } from './policy-document.ts';

const MAX_BYTES = 256 * 1024 * 1024;

export const LIMIT_FIELDS = [
  { key: 'timeout_ms', label: 'Timeout (ms)', min: 100, max: 3_600_000 },
  { key: 'max_request_bytes', label: 'Largest request (bytes)', min: 64, max: MAX_BYTES },
  { key: 'max_response_bytes', label: 'Largest response (bytes)', min: 64, max: MAX_BYTES },
] as const;
export type LimitKey = (typeof LIMIT_FIELDS)[number]['key'];

export type Tristate = 'inherit' | 'yes' | 'no';

export interface ToolSecurityForm {
  tool: string;
  limits: Record<LimitKey, string>;
  confirm_destructive: Tristate;
}

export interface SecurityForm {
  limits: Record<LimitKey, string>;
  read_only: boolean;
  confirm_destructive: boolean;
  tools: ToolSecurityForm[];
}

/** Field id (`timeout_ms`, `tools.0.timeout_ms`, `tools.0.tool`) → what is wrong with it. */
export type FieldErrors = Record<string, string>;

function limitsOf(source: Partial<Record<LimitKey, number>> | undefined): Record<LimitKey, string> {
  const out = {} as Record<LimitKey, string>;
  for (const field of LIMIT_FIELDS) out[field.key] = source?.[field.key]?.toString() ?? '';
  return out;
}

export function securityForm(security: SecurityPolicy | undefined): SecurityForm {
  return {
    limits: limitsOf(security),
    read_only: security?.read_only ?? false,
    confirm_destructive: security?.confirm_destructive ?? false,
    tools: Object.entries(security?.tools ?? {})
      .filter(
        ([, tool]) =>
          LIMIT_FIELDS.some((f) => tool[f.key] !== undefined) ||
          tool.confirm_destructive !== undefined,
      )
      .map(([name, tool]) => ({
        tool: name,
        limits: limitsOf(tool),
        confirm_destructive:
          tool.confirm_destructive === undefined
            ? 'inherit'
            : tool.confirm_destructive
              ? 'yes'
              : 'no',
      })),
  };
}

export function emptyToolSecurity(tool = ''): ToolSecurityForm {
  return { tool, limits: limitsOf(undefined), confirm_destructive: 'inherit' };
}

function parseLimits(
  limits: Record<LimitKey, string>,
  prefix: string,
  errors: FieldErrors,
): Partial<Record<LimitKey, number>> {
  const out: Partial<Record<LimitKey, number>> = {};
  for (const field of LIMIT_FIELDS) {
    const raw = limits[field.key].trim();
    if (raw === '') continue;
    const value = Number(raw);
    if (
      !/^\d+$/.test(raw) ||
      !Number.isSafeInteger(value) ||
      value < field.min ||
      value > field.max
    )
      errors[prefix + field.key] =
        `A whole number from ${field.min.toLocaleString('en')} to ${field.max.toLocaleString('en')}, or blank.`;
    else out[field.key] = value;
  }
  return out;
}

/**
 * The section the form describes, or what is wrong with it. `previous`
 * gives the argument constraints to keep (they are not on this form).
 */
export function parseSecurityForm(
  form: SecurityForm,
  previous: SecurityPolicy | undefined,
): { security: SecurityPolicy | undefined; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const security: SecurityPolicy = parseLimits(form.limits, '', errors);
  if (form.read_only) security.read_only = true;
  if (form.confirm_destructive) security.confirm_destructive = true;
  const tools: Record<string, ToolSecurity> = {};
  for (const [name, tool] of Object.entries(previous?.tools ?? {}))
    if (tool.argument_constraints !== undefined)
      tools[name] = { argument_constraints: tool.argument_constraints };
  const seen = new Set<string>();
  form.tools.forEach((entry, index) => {
    const name = entry.tool.trim();
    const prefix = `tools.${index}.`;
    if (name === '') errors[`${prefix}tool`] = 'Name the tool (as the upstream names it).';
    else if (seen.has(name)) errors[`${prefix}tool`] = `"${name}" is listed twice.`;
    seen.add(name);
    const own: ToolSecurity = { ...parseLimits(entry.limits, prefix, errors) };
    if (entry.confirm_destructive !== 'inherit')
      own.confirm_destructive = entry.confirm_destructive === 'yes';
    if (name !== '' && Object.keys(own).length > 0)
      Object.defineProperty(tools, name, {
        value: { ...(Object.hasOwn(tools, name) ? tools[name] : {}), ...own },
        enumerable: true,
        writable: true,
        configurable: true,
      });
  });
  if (Object.keys(tools).length > 0) security.tools = tools;
  return { security: Object.keys(security).length === 0 ? undefined : security, errors };
}
