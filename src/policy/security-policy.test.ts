import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { securityPolicySchema } from './security-policy.ts';

/** `{ properties: { a: { properties: { a: … } } } }`, `depth` levels. */
function nestedSchema(depth: number): Record<string, unknown> {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < depth; i++) schema = { type: 'object', properties: { a: schema } };
  return schema;
}

function issuesOf(constraint: Record<string, unknown>): string[] {
  const parsed = securityPolicySchema.safeParse({
    tools: { echo: { argument_constraints: { '*': constraint } } },
  });
  return parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
}

describe('argument constraints of a security policy', () => {
  it('accepts a valid JSON Schema', () => {
    assert.deepEqual(issuesOf({ type: 'object', properties: { text: { maxLength: 10 } } }), []);
  });

  it('refuses a broken JSON Schema, saying why', () => {
    const [message] = issuesOf({ type: 'no-such-type' });
    assert.match(message ?? '', /^Not a valid JSON Schema: /);
  });

  it('refuses a schema nested too deeply to compile, in words rather than a stack error', () => {
    const messages = issuesOf(nestedSchema(20_000));
    assert.deepEqual(messages, ['Not a valid JSON Schema: it nests too deeply.']);
  });
});
