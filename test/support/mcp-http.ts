/**
 * Raw MCP-over-HTTP calls for tests that need to see exact statuses,
 * headers and bodies (no SDK in between).
 */
import { request } from 'undici';
import { parseSse } from '../../src/upstream/sse-parser.ts';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** JSON body, or the JSON-RPC messages of an SSE body, or null. */
  json: unknown;
  messages: unknown[];
  text: string;
}

export async function mcpPost(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  const response = await request(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const type = String(response.headers['content-type'] ?? '');
  if (type.startsWith('text/event-stream')) {
    const messages: unknown[] = [];
    for await (const event of parseSse(response.body as AsyncIterable<Buffer>))
      if (event.data) messages.push(JSON.parse(event.data));
    return {
      status: response.statusCode,
      headers: response.headers,
      json: messages.at(-1) ?? null,
      messages,
      text: '',
    };
  }
  const text = await response.body.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: callers assert on text */
  }
  return {
    status: response.statusCode,
    headers: response.headers,
    json,
    messages: json === null ? [] : [json],
    text,
  };
}

export function initializeBody(
  id: number | string = 1,
  capabilities: Record<string, unknown> = {},
  clientInfo = { name: 'raw-test', version: '1.0.0' },
) {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities, clientInfo },
  };
}

/**
 * Opens a 2025-11-25 session over raw HTTP (initialize, then notifications/initialized) and
 * returns the headers its later requests carry: `headers` plus the session id and version.
 */
export async function openLegacySession(
  url: string,
  headers: Record<string, string>,
): Promise<Record<string, string>> {
  const init = await mcpPost(url, initializeBody('init'), headers);
  if (init.status !== 200) throw new Error(`initialize answered ${init.status}: ${init.text}`);
  const session = {
    ...headers,
    'mcp-session-id': String(init.headers['mcp-session-id']),
    'mcp-protocol-version': '2025-11-25',
  };
  await mcpPost(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, session);
  return session;
}

/** The per-request envelope of a 2026-07-28 request, with its standard headers. */
export function modernRequest(
  id: number | string,
  method: string,
  params: Record<string, unknown> = {},
) {
  const body = {
    jsonrpc: '2.0',
    id,
    method,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': {},
        'io.modelcontextprotocol/clientInfo': { name: 'raw-test', version: '1.0.0' },
      },
    },
  };
  const headers: Record<string, string> = {
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method,
  };
  const name = params.name ?? params.uri;
  if (typeof name === 'string') headers['mcp-name'] = name;
  return { body, headers };
}

/**
 * One 2026-07-28 `tools/call` of the fixture's `test_simple_text` with an
 * API key: the gateway's request id when it completed with a result,
 * undefined when it failed or the connection broke (load tests that stop
 * or kill the gateway under it).
 */
export async function callSimpleText(
  endpoint: string,
  apiKey: string,
  id: string,
): Promise<string | undefined> {
  const call = modernRequest(id, 'tools/call', { name: 'test_simple_text', arguments: {} });
  try {
    const response = await request(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${apiKey}`,
        ...call.headers,
      },
      body: JSON.stringify(call.body),
    });
    const text = await response.body.text();
    if (response.statusCode !== 200 || !text.includes('"result"')) return undefined;
    return String(response.headers['x-request-id']);
  } catch {
    return undefined;
  }
}

/** What a load of `callSimpleText` got: the record ids of the answered calls, and calls sent. */
export interface SimpleTextLoad {
  readonly completed: string[];
  sent: number;
}

/**
 * `workers` loops of `callSimpleText` until the gateway stops answering (refused, failed or
 * reset: it is going away). `onAnswer` runs after each answer, with every answer so far.
 */
export async function callSimpleTextUntilGone(
  endpoint: string,
  apiKey: string,
  workers: number,
  onAnswer: (completed: readonly string[]) => void,
): Promise<SimpleTextLoad> {
  const load: SimpleTextLoad = { completed: [], sent: 0 };
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; ; i++) {
      load.sent++;
      const requestId = await callSimpleText(endpoint, apiKey, `${w}-${i}`);
      if (requestId === undefined) return;
      load.completed.push(requestId);
      onAnswer(load.completed);
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return load;
}
