import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../api/client.ts';
import { issuesUnder } from './api-issues.ts';

describe('field issues of an API error', () => {
  const refused = new ApiError(400, 'bad_request', 'Invalid input: …', [
    {
      path: 'body.security.tools.q.argument_constraints.member',
      message: 'Not a valid JSON Schema: data/type must be array; data/type must be string',
    },
    { path: 'body.tools.a.name', message: 'A tool name is 1–128 characters' },
  ]);

  it('picks the issues at or under one field, messages with "; " kept whole', () => {
    assert.deepEqual(issuesUnder(refused, 'body.security.tools.q.argument_constraints.member'), [
      'Not a valid JSON Schema: data/type must be array; data/type must be string',
    ]);
    assert.deepEqual(issuesUnder(refused, 'body.tools'), ['A tool name is 1–128 characters']);
    assert.deepEqual(issuesUnder(refused, 'body.security.tools.q.argument_constraints.admin'), []);
  });

  it('finds none in errors that name no field', () => {
    assert.deepEqual(issuesUnder(new ApiError(409, 'conflict', 'The policy changed'), 'body'), []);
    assert.deepEqual(issuesUnder(new Error('network down'), 'body'), []);
    assert.deepEqual(issuesUnder(undefined, 'body'), []);
  });
});
