import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { renderErrorReference } from './error-reference.ts';

it('docs/errors.md matches the error catalogue (regenerate: node scripts/error-reference.ts --write)', () => {
  assert.equal(
    readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8'),
    renderErrorReference(),
  );
});
