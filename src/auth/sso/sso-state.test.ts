import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSealedBox } from '../../session/sealed-box.ts';
import { cookieValue, createSsoStateCookie, safeNext, SSO_STATE_COOKIE } from './sso-state.ts';
import type { SsoState } from './sso-state.ts';

const box = createSealedBox('k'.repeat(43));
const state: SsoState = { state: 's', nonce: 'n', codeVerifier: 'v', next: '/x', exp: 2_000 };

function header(setCookie: string): string {
  return setCookie.split(';')[0]!;
}

describe('safeNext', () => {
  it('percent-encodes characters a Location header cannot carry, keeping the path local', () => {
    // Node refuses them in a header (ERR_INVALID_CHAR): answered 500 after the session was made.
    assert.equal(safeNext('/ā'), '/%C4%81');
    assert.equal(safeNext('/\u2215\u2215evil.example'), '/%E2%88%95%E2%88%95evil.example');
    assert.equal(safeNext('/a b?q=é'), '/a%20b?q=%C3%A9');
    assert.equal(safeNext('/\ud83d'), '/', 'a lone surrogate has no encoding');
    assert.equal(safeNext('/%2F%2Fevil.example'), '/%2F%2Fevil.example');
  });

  it('turns anything but a same-origin path into /', () => {
    for (const next of [
      undefined,
      '',
      42,
      ['/a'],
      'https://evil.example/',
      '//evil.example',
      '/\\evil.example',
      '/a\\b',
      'javascript:alert(1)',
      '/a\nSet-Cookie: x=1',
      `/${'a'.repeat(2048)}`,
    ])
      assert.equal(safeNext(next), '/', String(next));
  });

  it('keeps a same-origin path with its query', () => {
    assert.equal(safeNext('/interaction/abc?x=1#y'), '/interaction/abc?x=1#y');
  });
});

describe('the SSO state cookie', () => {
  it('refuses a tampered, foreign-purpose, missing or expired cookie', () => {
    const cookie = createSsoStateCookie(box, 'http://127.0.0.1:8080');
    const good = header(cookie.set(state));
    const sealed = good.slice(good.indexOf('=') + 1);
    assert.equal(cookie.read(undefined, 1_000), undefined);
    assert.equal(cookie.read('other=1', 1_000), undefined);
    assert.equal(cookie.read(`${SSO_STATE_COOKIE}=${sealed.slice(0, -2)}xx`, 1_000), undefined);
    assert.equal(
      cookie.read(`${SSO_STATE_COOKIE}=${box.seal('legacy-session', state)}`, 1_000),
      undefined,
    );
    assert.equal(
      cookie.read(`${SSO_STATE_COOKIE}=${box.seal('sso-state', { state: 's' })}`, 1_000),
      undefined,
    );
    assert.equal(cookie.read(good, 2_000), undefined, 'expired');
    assert.deepEqual(cookie.read(`a=b; ${good}`, 1_000), state);
  });

  it('is HttpOnly, Lax, scoped to /sso under the public path, Secure only on https', () => {
    const plain = createSsoStateCookie(box, 'http://127.0.0.1:8080').set(state);
    assert.match(plain, /; Max-Age=600; Path=\/sso; HttpOnly; SameSite=Lax$/);
    const secure = createSsoStateCookie(box, 'https://gw.example/portcullis').set(state);
    assert.match(secure, /; Path=\/portcullis\/sso; HttpOnly; SameSite=Lax; Secure$/);
    assert.match(
      createSsoStateCookie(box, 'https://gw.example').clear(),
      /=; Max-Age=0; Path=\/sso;/,
    );
  });

  it('reads the first cookie of that name from a Cookie header', () => {
    assert.equal(cookieValue('a=1; b=2; a=3', 'a'), '1');
    assert.equal(cookieValue('a=1;b= 2 ', 'b'), '2');
    assert.equal(cookieValue('ab=1', 'a'), undefined);
  });
});
