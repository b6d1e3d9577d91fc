import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { SCHEMA_FILE, generateApiTypes } from './api-types.ts';

it('the dashboard is typed from the API as it is now (regenerate with node dashboard/scripts/api-types.ts)', async () => {
  const committed = await readFile(SCHEMA_FILE, 'utf8');
  const generated = await generateApiTypes();
  assert.ok(generated.includes('"/api/v1/me": {'), 'the document lists GET /api/v1/me');
  assert.equal(committed, generated);
});
