import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBearerChallenge } from './bearer-challenge.ts';

describe('parseBearerChallenge', () => {
  it('reads resource_metadata and scope from a Bearer challenge', () => {
    assert.deepEqual(
      parseBearerChallenge(
        'Bearer resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp", scope="files:read files:write"',
      ),
      {
        resourceMetadata: 'https://mcp.example/.well-known/oauth-protected-resource/mcp',
        scope: 'files:read files:write',
      },
    );
  });

  it('reads the error of an insufficient_scope challenge, token and quoted values alike', () => {
    assert.deepEqual(parseBearerChallenge('Bearer error=insufficient_scope, scope="a b"'), {
      scope: 'a b',
      error: 'insufficient_scope',
    });
  });

  it('finds the Bearer challenge among others and ignores their parameters', () => {
    assert.deepEqual(
      parseBearerChallenge(
        'Basic realm="x", scope="wrong", Bearer realm="api", scope="right", DPoP algs="ES256"',
      ),
      { scope: 'right' },
    );
  });

  it('unescapes quoted-pair characters', () => {
    assert.equal(parseBearerChallenge('Bearer scope="a\\"b"')?.scope, 'a"b');
  });

  it('is case-insensitive on the scheme and parameter names', () => {
    assert.equal(parseBearerChallenge('bearer Scope="x"')?.scope, 'x');
  });

  it('returns undefined without a Bearer challenge, or without a header', () => {
    assert.equal(parseBearerChallenge('Basic realm="x"'), undefined);
    assert.equal(parseBearerChallenge(undefined), undefined);
    assert.equal(parseBearerChallenge(''), undefined);
  });

  it('survives a token68 and garbage without throwing', () => {
    assert.deepEqual(parseBearerChallenge('Negotiate abc==, Bearer ,,, scope="s" ;;'), {
      scope: 's',
    });
  });

  it('returns an empty challenge for a bare Bearer', () => {
    assert.deepEqual(parseBearerChallenge('Bearer'), {});
  });
});
