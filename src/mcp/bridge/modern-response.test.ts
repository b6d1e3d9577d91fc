import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { discoverFromInitialize } from './discover-from-initialize.ts';
import { toModernResponse } from './modern-response.ts';

const serverInfo = { name: 'legacy', version: '1.0.0' };
const request = (method: string, params = {}) => ({
  jsonrpc: '2.0' as const,
  id: 9,
  method,
  params,
});

describe('legacy answers as modern clients see them', () => {
  it('completes results, adds caching hints to cacheable ones and names the server', () => {
    assert.deepEqual(
      toModernResponse(
        3,
        request('tools/list'),
        { jsonrpc: '2.0', id: 'up', result: { tools: [] } },
        serverInfo,
      ),
      {
        jsonrpc: '2.0',
        id: 3,
        result: {
          tools: [],
          resultType: 'complete',
          ttlMs: 0,
          cacheScope: 'private',
          _meta: { 'io.modelcontextprotocol/serverInfo': serverInfo },
        },
      },
    );
    const called = toModernResponse(
      3,
      request('tools/call'),
      { jsonrpc: '2.0', id: 'up', result: { content: [], _meta: { trace: 'x' } } },
      serverInfo,
    );
    assert.deepEqual(called.result, {
      content: [],
      resultType: 'complete',
      _meta: { trace: 'x', 'io.modelcontextprotocol/serverInfo': serverInfo },
    });
  });

  it('reports a missing resource as -32602 with its URI (SEP-2164), other errors as they are', () => {
    const read = request('resources/read', { uri: 'test://gone' });
    assert.deepEqual(
      toModernResponse(
        4,
        read,
        { jsonrpc: '2.0', id: 'up', error: { code: -32002, message: 'Resource not found' } },
        serverInfo,
      ).error,
      { code: -32602, message: 'Resource not found', data: { uri: 'test://gone' } },
    );
    assert.deepEqual(
      toModernResponse(
        4,
        read,
        { jsonrpc: '2.0', id: 'up', error: { code: -32603, message: 'boom' } },
        serverInfo,
      ),
      { jsonrpc: '2.0', id: 4, error: { code: -32603, message: 'boom' } },
    );
  });

  it('answers server/discover from an InitializeResult, without 2025 tasks', () => {
    assert.deepEqual(
      discoverFromInitialize({
        protocolVersion: '2025-11-25',
        capabilities: { tools: { listChanged: true }, tasks: { list: {} } },
        serverInfo,
        instructions: 'Be nice.',
      }),
      {
        supportedVersions: ['2026-07-28'],
        capabilities: { tools: { listChanged: true } },
        instructions: 'Be nice.',
        resultType: 'complete',
        ttlMs: 0,
        cacheScope: 'private',
        _meta: { 'io.modelcontextprotocol/serverInfo': serverInfo },
      },
    );
  });
});
