import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyToolSecurity, parseSecurityForm, securityForm } from './security-form.ts';

describe('security form', () => {
  it('round-trips a security section, keeping argument constraints it does not show', () => {
    const section = {
      timeout_ms: 20000,
      read_only: true,
      tools: {
        run_query: { timeout_ms: 60000, confirm_destructive: false },
        search: { argument_constraints: { member: { type: 'object' } } },
      },
    };
    const form = securityForm(section);
    assert.equal(form.limits.timeout_ms, '20000');
    assert.equal(form.limits.max_request_bytes, '');
    assert.deepEqual(
      form.tools.map((tool) => [tool.tool, tool.confirm_destructive]),
      [['run_query', 'no']],
    );
    assert.deepEqual(parseSecurityForm(form, section), { security: section, errors: {} });
  });

  it('gives no section for an empty form', () => {
    assert.deepEqual(parseSecurityForm(securityForm(undefined), undefined), {
      security: undefined,
      errors: {},
    });
  });

  it('names each field out of bounds or not a whole number', () => {
    const form = securityForm(undefined);
    form.limits.timeout_ms = '50';
    form.limits.max_request_bytes = '1.5';
    form.limits.max_response_bytes = 'lots';
    form.tools.push({
      ...emptyToolSecurity('x'),
      limits: { timeout_ms: '99999999', max_request_bytes: '', max_response_bytes: '' },
    });
    const { errors } = parseSecurityForm(form, undefined);
    assert.deepEqual(Object.keys(errors).sort(), [
      'max_request_bytes',
      'max_response_bytes',
      'timeout_ms',
      'tools.0.timeout_ms',
    ]);
    assert.match(errors.timeout_ms!, /100 to 3,600,000/);
  });

  it('refuses a per-tool entry without a name or listed twice', () => {
    const form = securityForm(undefined);
    form.tools.push(emptyToolSecurity(''), emptyToolSecurity('a'), emptyToolSecurity('a'));
    const { errors } = parseSecurityForm(form, undefined);
    assert.deepEqual(Object.keys(errors).sort(), ['tools.0.tool', 'tools.2.tool']);
  });
});
