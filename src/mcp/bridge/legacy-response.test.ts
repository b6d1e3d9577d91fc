import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initializeFromDiscover } from './initialize-from-discover.ts';
import { toLegacyResponse } from './legacy-response.ts';

const serverInfo = { name: 'modern', version: '2.0.0' };

describe('modern answers as legacy clients see them', () => {
  it('takes out resultType, the caching hints and the serverInfo envelope, nothing else', () => {
    assert.deepEqual(
      toLegacyResponse(5, {
        jsonrpc: '2.0',
        id: 'up',
        result: {
          contents: [{ uri: 'a', text: 'b' }],
          resultType: 'complete',
          ttlMs: 1000,
          cacheScope: 'public',
          _meta: { 'io.modelcontextprotocol/serverInfo': serverInfo, trace: 't' },
        },
      }),
      {
        jsonrpc: '2.0',
        id: 5,
        result: { contents: [{ uri: 'a', text: 'b' }], _meta: { trace: 't' } },
      },
    );
    assert.deepEqual(
      toLegacyResponse(5, {
        jsonrpc: '2.0',
        id: 'up',
        result: {
          resultType: 'complete',
          _meta: { 'io.modelcontextprotocol/serverInfo': serverInfo },
        },
      }),
      { jsonrpc: '2.0', id: 5, result: {} },
    );
    assert.deepEqual(
      toLegacyResponse(5, { jsonrpc: '2.0', id: 'up', error: { code: -1, message: 'x' } }),
      {
        jsonrpc: '2.0',
        id: 5,
        error: { code: -1, message: 'x' },
      },
    );
  });

  it('answers initialize from a discover result at the negotiated version', () => {
    assert.deepEqual(
      initializeFromDiscover(
        {
          supportedVersions: ['2026-07-28'],
          capabilities: { prompts: {} },
          instructions: 'Hi.',
          resultType: 'complete',
          ttlMs: 0,
          cacheScope: 'private',
          _meta: { 'io.modelcontextprotocol/serverInfo': serverInfo },
        },
        '2025-06-18',
      ),
      {
        protocolVersion: '2025-06-18',
        capabilities: { prompts: {} },
        serverInfo,
        instructions: 'Hi.',
      },
    );
  });
});
