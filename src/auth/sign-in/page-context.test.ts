import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { passwordProblem, safeNext } from './page-context.ts';

describe('safeNext', () => {
  it('turns anything but a same-origin path into /', () => {
    for (const next of [
      null,
      undefined,
      '',
      'hub',
      'https://evil.example/',
      '//evil.example',
      '/\\evil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      `/${'a'.repeat(2048)}`,
    ])
      assert.equal(safeNext(next), '/', JSON.stringify(next));
  });

  it('keeps a local path with its query', () => {
    assert.equal(safeNext('/invitations/abc?x=1'), '/invitations/abc?x=1');
  });
});

describe('passwordProblem', () => {
  it('refuses short, overlong and unconfirmed passwords', () => {
    assert.match(passwordProblem('elevenchars', 'elevenchars') ?? '', /at least 12/);
    assert.match(passwordProblem('x'.repeat(1025), 'x'.repeat(1025)) ?? '', /at most 1024/);
    assert.match(passwordProblem('twelve chars', 'twelve charz') ?? '', /differ/);
    assert.equal(passwordProblem('twelve chars', 'twelve chars'), undefined);
  });
});
