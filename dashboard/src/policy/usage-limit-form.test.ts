import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeRule, parseUsageLimitForm, usageLimitForm } from './usage-limit-form.ts';

describe('usage limit form', () => {
  it('turns a filled form into the rule body, blank filters left out', () => {
    const form = {
      ...usageLimitForm(undefined, 'wiki'),
      name: 'search-quota',
      tool: 'search',
      limit: '500',
      period: 'day' as const,
    };
    assert.deepEqual(parseUsageLimitForm(form), {
      name: 'search-quota',
      body: { server: 'wiki', tool: 'search', group_by: ['member'], period: 'day', limit: 500 },
    });
  });

  it('names each bad field and gives no body', () => {
    const form = { ...usageLimitForm(), name: 'Bad Name', method: 'tools call', limit: '-1' };
    const result = parseUsageLimitForm(form);
    assert.ok('errors' in result);
    assert.deepEqual(Object.keys(result.errors).sort(), ['limit', 'method', 'name']);
  });

  it('accepts a limit of zero (a rule that refuses everything it matches)', () => {
    const result = parseUsageLimitForm({
      ...usageLimitForm(),
      name: 'freeze',
      limit: '0',
      group_by: [],
    });
    assert.ok('body' in result);
    assert.equal(result.body.limit, 0);
  });

  it('describes a rule in words', () => {
    assert.equal(
      describeRule({
        name: 'c',
        group_by: ['member'],
        period: 'minute',
        limit: 60,
        method: 'tools/call',
      }),
      '60 per minute per member: tools/call on every server',
    );
    assert.equal(
      describeRule({ group_by: [], period: 'day', limit: 1000, server: 'wiki', tool: 'search' }),
      '1,000 per day for the whole workspace: tools/call of search on wiki',
    );
  });
});
