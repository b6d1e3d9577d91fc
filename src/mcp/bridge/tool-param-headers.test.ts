import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../shared/errors.ts';
import { createToolParamHeaders, encodeHeaderValue } from './tool-param-headers.ts';

const tools = {
  tools: [
    {
      name: 'deploy',
      inputSchema: {
        type: 'object',
        properties: {
          region: { type: 'string', 'x-mcp-header': 'Region' },
          target: {
            type: 'object',
            properties: { tier: { type: 'integer', 'x-mcp-header': 'Tier' } },
          },
          list: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Ignored' } },
        },
      },
    },
    { name: 'plain', inputSchema: { type: 'object', properties: { a: { type: 'string' } } } },
  ],
};
const isMismatch = (error: unknown) =>
  error instanceof GatewayError && error.code === 'header_mismatch' && error.status === 400;

describe('tool param headers', () => {
  const catalogue = createToolParamHeaders(100);
  catalogue.learn('acme/srv', tools);

  it('writes the headers a modern client would send, Base64-wrapped when not plain ASCII', () => {
    assert.deepEqual(
      catalogue.headersFor('acme/srv', 'deploy', { region: 'eu-west', target: { tier: 2 } }),
      { 'mcp-param-region': 'eu-west', 'mcp-param-tier': '2' },
    );
    assert.deepEqual(catalogue.headersFor('acme/srv', 'deploy', { region: 'zürich' }), {
      'mcp-param-region': `=?base64?${Buffer.from('zürich').toString('base64')}?=`,
    });
    assert.deepEqual(catalogue.headersFor('acme/srv', 'plain', { a: 'x' }), {});
    assert.equal(
      encodeHeaderValue(' padded'),
      `=?base64?${Buffer.from(' padded').toString('base64')}?=`,
    );
  });

  it('accepts matching headers, plain or Base64', () => {
    catalogue.check('acme/srv', 'deploy', { region: 'eu' }, { 'mcp-param-region': 'eu' });
    catalogue.check(
      'acme/srv',
      'deploy',
      { region: 'Hello' },
      { 'mcp-param-region': '=?base64?SGVsbG8=?=' },
    );
    catalogue.check('acme/srv', 'plain', { a: 'x' }, {});
  });

  it('rejects a missing, mismatched, malformed or unexpected header', () => {
    assert.throws(() => catalogue.check('acme/srv', 'deploy', { region: 'eu' }, {}), isMismatch);
    assert.throws(
      () => catalogue.check('acme/srv', 'deploy', { region: 'eu' }, { 'mcp-param-region': 'us' }),
      isMismatch,
    );
    assert.throws(
      () =>
        catalogue.check(
          'acme/srv',
          'deploy',
          { region: 'Hello' },
          { 'mcp-param-region': '=?base64?SGVsbG8?=' },
        ),
      isMismatch,
    );
    assert.throws(
      () => catalogue.check('acme/srv', 'deploy', {}, { 'mcp-param-region': 'eu' }),
      isMismatch,
    );
  });

  it('knows only the tools it has seen, and refreshes at most once a minute', () => {
    assert.equal(catalogue.knows('acme/srv', 'deploy'), true);
    assert.equal(catalogue.knows('acme/srv', 'other'), false);
    assert.equal(catalogue.knows('acme/other', 'deploy'), false);
    assert.equal(catalogue.mayRefresh('acme/srv'), true);
    assert.equal(catalogue.mayRefresh('acme/srv'), false);
  });
});
