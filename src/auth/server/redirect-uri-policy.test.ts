import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  evaluateRedirectUri,
  evaluateRedirectUris,
  isLoopbackRedirectUri,
  redirectDisplayHost,
} from './redirect-uri-policy.ts';

describe('redirect URI policy', () => {
  const refused: Array<[string, unknown, RegExp]> = [
    ['non-loopback http', 'http://example.com/callback', /loopback/],
    ['http on a LAN address', 'http://192.168.1.5/callback', /loopback/],
    ['a fragment', 'https://app.example/cb#frag', /fragments/],
    ['user information', 'https://user:pw@app.example/cb', /user information/],
    ['user information without password', 'https://user@app.example/cb', /user information/],
    ['javascript:', 'javascript:alert(1)', /scheme javascript/],
    ['data:', 'data:text/html,hi', /scheme data/],
    ['file:', 'file:///etc/passwd', /scheme file/],
    ['an unknown custom scheme', 'myapp://callback', /scheme myapp/],
    [
      'a look-alike of an allowlisted scheme',
      'cursor://anysphere.cursor-mcp/oauth/other',
      /cursor/,
    ],
    ['a relative URI', '/callback', /absolute/],
    ['a space', 'https://app.example/ cb', /forbidden characters/],
    ['a backslash', 'https://app.example\\@evil.example/', /forbidden characters/],
    ['an empty string', '', /non-empty/],
    ['a number', 42, /non-empty/],
  ];
  for (const [label, uri, reason] of refused) {
    it(`refuses ${label}`, () => {
      const verdict = evaluateRedirectUri(uri);
      assert.equal(verdict.ok, false);
      assert.match(verdict.ok ? '' : verdict.reason, reason);
    });
  }

  const accepted = [
    'https://claude.ai/api/mcp/auth_callback',
    'https://claude.com/api/mcp/auth_callback',
    'https://vscode.dev/redirect',
    'https://insiders.vscode.dev/redirect',
    'https://www.cursor.com/agents/mcp/oauth/callback',
    'cursor://anysphere.cursor-mcp/oauth/callback',
    'http://localhost:8787/callback',
    'http://localhost/callback',
    'http://127.0.0.1/',
    'http://127.0.0.1:33418/',
    'http://[::1]:6274/oauth/callback',
  ];
  for (const uri of accepted) {
    it(`accepts ${uri}`, () => assert.deepEqual(evaluateRedirectUri(uri), { ok: true }));
  }

  it("accepts Cursor's mixed list of private-use, https and loopback URIs", () => {
    assert.deepEqual(
      evaluateRedirectUris([
        'cursor://anysphere.cursor-mcp/oauth/callback',
        'https://www.cursor.com/agents/mcp/oauth/callback',
        'http://localhost:8787/callback',
      ]),
      { ok: true },
    );
  });

  it('refuses the whole list when one URI is bad', () => {
    const verdict = evaluateRedirectUris(['https://ok.example/cb', 'javascript:alert(1)']);
    assert.equal(verdict.ok, false);
  });

  it('refuses an empty or missing list', () => {
    assert.equal(evaluateRedirectUris([]).ok, false);
    assert.equal(evaluateRedirectUris(undefined).ok, false);
    assert.equal(evaluateRedirectUris('https://ok.example/cb').ok, false);
  });

  it('tells loopback URIs apart', () => {
    assert.equal(isLoopbackRedirectUri('http://127.0.0.1:9/cb'), true);
    assert.equal(isLoopbackRedirectUri('https://localhost/cb'), false);
    assert.equal(isLoopbackRedirectUri('http://localhost.evil.example/cb'), false);
  });

  it('shows the host, or the scheme and authority for private-use URIs', () => {
    assert.equal(redirectDisplayHost('https://claude.ai/api/mcp/auth_callback'), 'claude.ai');
    assert.equal(
      redirectDisplayHost('cursor://anysphere.cursor-mcp/oauth/callback'),
      'cursor://anysphere.cursor-mcp',
    );
  });
});
