import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldIssues, issuesUnder } from './api-issues.ts';

describe('field issues of an API error', () => {
  const message =
    'Invalid input: body.security.tools.q.argument_constraints.member: Not a valid JSON Schema: schema is invalid: data/type must be equal to one of the allowed values; data/type must be array; body.tools.a.name: A tool name is 1–128 characters';

  it('splits a bad_request message into its paths, keeping "; " inside a message', () => {
    assert.deepEqual(fieldIssues(message), [
      {
        path: 'body.security.tools.q.argument_constraints.member',
        message:
          'Not a valid JSON Schema: schema is invalid: data/type must be equal to one of the allowed values; data/type must be array',
      },
      { path: 'body.tools.a.name', message: 'A tool name is 1–128 characters' },
    ]);
  });

  it('picks the issues under one field and none for another message', () => {
    assert.equal(
      issuesUnder(message, 'body.security.tools.q.argument_constraints.member').length,
      1,
    );
    assert.deepEqual(issuesUnder(message, 'body.security.tools.q.argument_constraints.admin'), []);
    assert.deepEqual(issuesUnder('The policy changed meanwhile', 'body'), []);
  });
});
