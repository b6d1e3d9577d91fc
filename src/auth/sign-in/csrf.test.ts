import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BrowserSession } from '../../store/model.ts';
import { createCsrf, safeEqual } from './csrf.ts';

function request(headers: Record<string, string>): FastifyRequest {
  return { headers } as unknown as FastifyRequest;
}

function recordingReply(): { reply: FastifyReply; cookies: string[] } {
  const cookies: string[] = [];
  const reply = {
    header(name: string, value: string) {
      if (name === 'set-cookie') cookies.push(value);
      return reply;
    },
  } as unknown as FastifyReply;
  return { reply, cookies };
}

const session = { csrfToken: 's'.repeat(43) } as BrowserSession;
const csrf = createCsrf({ publicUrl: 'https://gw.example' });
const form = (token: string) => new URLSearchParams({ csrf: token });

describe('csrf', () => {
  it('refuses a POST without a token', () => {
    assert.equal(csrf.verify(request({}), new URLSearchParams(), session), false);
    assert.equal(csrf.verify(request({}), new URLSearchParams(), undefined), false);
  });

  it('refuses a wrong session token and an empty one', () => {
    assert.equal(csrf.verify(request({}), form('x'.repeat(43)), session), false);
    assert.equal(csrf.verify(request({}), form(''), { csrfToken: '' } as BrowserSession), false);
  });

  it('refuses a foreign Origin or a cross-site fetch even with the right token', () => {
    assert.equal(
      csrf.verify(request({ origin: 'https://evil.example' }), form(session.csrfToken), session),
      false,
    );
    assert.equal(
      csrf.verify(request({ origin: 'http://gw.example' }), form(session.csrfToken), session),
      false,
    );
    assert.equal(
      csrf.verify(request({ 'sec-fetch-site': 'cross-site' }), form(session.csrfToken), session),
      false,
    );
  });

  it('accepts the session token with the public Origin, a null Origin or none', () => {
    const variants: Record<string, string>[] = [
      { origin: 'https://gw.example' },
      { origin: 'null' },
      {},
    ];
    for (const headers of variants) {
      assert.equal(csrf.verify(request(headers), form(session.csrfToken), session), true);
    }
  });

  it('issues a double-submit cookie before a session exists and accepts only the matching field', () => {
    const { reply, cookies } = recordingReply();
    const token = csrf.tokenFor(request({}), reply, undefined);
    assert.equal(cookies.length, 1);
    assert.match(
      cookies[0] ?? '',
      /^__Host-portcullis_csrf=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax; Secure$/,
    );
    const withCookie = request({ cookie: `__Host-portcullis_csrf=${token}` });
    assert.equal(csrf.verify(withCookie, form(token), undefined), true);
    assert.equal(csrf.verify(withCookie, form(`${token}x`), undefined), false);
    assert.equal(csrf.verify(request({}), form(token), undefined), false);
  });

  it('reuses an existing double-submit cookie instead of rotating it', () => {
    const { reply, cookies } = recordingReply();
    const existing = 'c'.repeat(43);
    assert.equal(
      csrf.tokenFor(request({ cookie: `__Host-portcullis_csrf=${existing}` }), reply, undefined),
      existing,
    );
    assert.equal(cookies.length, 0);
  });

  it('compares in constant time and never equates empty strings', () => {
    assert.equal(safeEqual('', ''), false);
    assert.equal(safeEqual('abc', 'abcd'), false);
    assert.equal(safeEqual('abc', 'abc'), true);
  });
});
