import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCookieHeader, serializeCookie } from './cookie-header.ts';

describe('parseCookieHeader', () => {
  it('returns nothing for a missing or empty header', () => {
    assert.equal(parseCookieHeader(undefined).size, 0);
    assert.equal(parseCookieHeader('').size, 0);
  });

  it('skips pairs without a name or an equals sign', () => {
    const cookies = parseCookieHeader('=orphan; lonely; a=1');
    assert.deepEqual([...cookies], [['a', '1']]);
  });

  it('ignores values outside the base64url alphabet instead of decoding them', () => {
    const cookies = parseCookieHeader('a=%3Cscript%3E; b=x y; c=ok_-.~');
    assert.deepEqual([...cookies], [['c', 'ok_-.~']]);
  });

  it('keeps the first occurrence of a repeated name', () => {
    assert.equal(parseCookieHeader('s=first; s=second').get('s'), 'first');
  });

  it('trims whitespace and unquotes quoted values', () => {
    const cookies = parseCookieHeader('  a = 1 ;b="two"');
    assert.equal(cookies.get('a'), '1');
    assert.equal(cookies.get('b'), 'two');
  });
});

describe('serializeCookie', () => {
  it('refuses names and values that would inject attributes', () => {
    assert.throws(() => serializeCookie('a;b', 'x', { secure: false }));
    assert.throws(() => serializeCookie('a', 'x; Domain=evil', { secure: false }));
  });

  it('always sets HttpOnly, SameSite=Lax and Path=/, and Secure when asked', () => {
    assert.equal(
      serializeCookie('__Host-s', 'v', { secure: true, maxAge: 60 }),
      '__Host-s=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure',
    );
    assert.equal(
      serializeCookie('s', '', { secure: false, maxAge: 0 }),
      's=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0',
    );
  });
});
