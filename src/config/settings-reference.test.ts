import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { renderSettingsTable } from './settings-reference.ts';

/** Table rows as trimmed cells, ignoring alignment padding and separator rows. */
function cells(table: string): string[][] {
  return table
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[\s|:-]+\|$/.test(line))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

it('docs/configuration.md lists every setting as the schema describes it', () => {
  const docs = readFileSync(
    path.resolve(import.meta.dirname, '../../docs/configuration.md'),
    'utf8',
  );
  const section = /<!-- settings:start[^>]*-->([\s\S]*?)<!-- settings:end -->/.exec(docs)?.[1];
  assert.ok(section, 'docs/configuration.md has no settings section');
  assert.deepEqual(
    cells(section),
    cells(renderSettingsTable()),
    'docs/configuration.md is out of date: paste the output of `node src/config/settings-reference.ts`',
  );
});
