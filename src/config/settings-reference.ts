/**
 * Renders the settings table of docs/configuration.md from the runtime
 * config schema, so the docs cannot drift from the code (a test compares
 * them). `node src/config/settings-reference.ts` prints the table.
 */
import type { z } from 'zod';
import { runtimeConfigSchema } from './runtime-config.ts';

function defaultOf(schema: z.ZodType): string {
  const parsed = schema.safeParse(undefined);
  if (!parsed.success || parsed.data === undefined) return '—';
  const value: unknown = parsed.data;
  if (Array.isArray(value)) return value.length === 0 ? '(none)' : `\`${value.join(',')}\``;
  // A parsed map (such as headers from `name=value` pairs): empty is none.
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 0)
    return '(none)';
  return `\`${String(value)}\``;
}

export function renderSettingsTable(): string {
  const rows = Object.entries(runtimeConfigSchema.shape).map(
    ([name, schema]) =>
      `| \`${name}\` | ${defaultOf(schema)} | ${(schema.description ?? '').replaceAll('|', '\\|')} |`,
  );
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

if (import.meta.main) console.log(renderSettingsTable());
