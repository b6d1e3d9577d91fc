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

  it('percent-encodes characters a Location header cannot carry, keeping the path local', () => {
    // Node refuses them in a header (ERR_INVALID_CHAR): answered 500 after the session was made.
    assert.equal(safeNext('/ā'), '/%C4%81');
    assert.equal(safeNext('/\u2215\u2215evil.example'), '/%E2%88%95%E2%88%95evil.example');
    assert.equal(safeNext('/a b?q=é'), '/a%20b?q=%C3%A9');
    assert.equal(safeNext('/\ud83d'), '/', 'a lone surrogate has no encoding');
    assert.equal(safeNext('/%2F%2Fevil.example'), '/%2F%2Fevil.example');
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
