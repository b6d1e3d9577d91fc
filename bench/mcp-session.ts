/**
 * The MCP messages the benchmarks send, and the handshake that opens a legacy-era
 * session (`initialize`, then `notifications/initialized` with the new
 * `Mcp-Session-Id`). Every target is driven through the same bytes.
 */
import { request, type Dispatcher } from 'undici';

export const PROTOCOL_VERSION = '2025-11-25';

export const INITIALIZE_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: {
    protocolVersion: PROTOCOL_VERSION,
    capabilities: { roots: { listChanged: true } },
    clientInfo: { name: 'portcullis-bench', version: '1.0.0' },
  },
});

export const INITIALIZED_BODY = JSON.stringify({
  jsonrpc: '2.0',
  method: 'notifications/initialized',
});

export const ECHO_TEXT = 'hello from the benchmark';

export const TOOLS_CALL_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'echo', arguments: { text: ECHO_TEXT } },
});

/** What a client sends on every POST, before any session exists. */
export const POST_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

/** A target of the benchmark: where its MCP endpoint is and what it needs. */
export interface McpEndpoint {
  readonly url: string;
  /** Extra headers, such as the gateway's API key. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Headers for requests inside a session (session id and negotiated version). */
export function sessionHeaders(
  endpoint: McpEndpoint,
  sessionId: string | undefined,
): Record<string, string> {
  return {
    ...POST_HEADERS,
    ...endpoint.headers,
    'mcp-protocol-version': PROTOCOL_VERSION,
    ...(sessionId === undefined ? {} : { 'mcp-session-id': sessionId }),
  };
}

/** Reads one JSON-RPC message from a JSON body or from the first SSE `data:` event. */
export function parseJsonRpcBody(contentType: string | undefined, text: string): unknown {
  if (contentType?.startsWith('text/event-stream') === true) {
    const data = text
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    return JSON.parse(data);
  }
  return JSON.parse(text);
}

async function post(
  endpoint: McpEndpoint,
  headers: Record<string, string>,
  body: string,
  dispatcher?: Dispatcher,
): Promise<{ status: number; headers: Dispatcher.ResponseData['headers']; text: string }> {
  const res = await request(endpoint.url, { method: 'POST', headers, body, dispatcher });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

function describe(status: number, text: string): string {
  return `HTTP ${status}${text.length > 0 ? `: ${text.slice(0, 300)}` : ''}`;
}

/** Runs the handshake and returns the session id (undefined if the server is stateless). */
export async function openMcpSession(
  endpoint: McpEndpoint,
  dispatcher?: Dispatcher,
): Promise<string | undefined> {
  const init = await post(
    endpoint,
    { ...POST_HEADERS, ...endpoint.headers },
    INITIALIZE_BODY,
    dispatcher,
  );
  if (init.status !== 200)
    throw new Error(`initialize failed: ${describe(init.status, init.text)}`);
  const header = init.headers['mcp-session-id'];
  const sessionId = typeof header === 'string' ? header : undefined;
  const headers = sessionHeaders(endpoint, sessionId);
  const notified = await post(endpoint, headers, INITIALIZED_BODY, dispatcher);
  if (notified.status !== 202) {
    throw new Error(
      `notifications/initialized failed: ${describe(notified.status, notified.text)}`,
    );
  }
  return sessionId;
}

/** Calls the echo tool once and checks the answer, so a broken target fails loudly. */
export async function verifyEchoCall(
  endpoint: McpEndpoint,
  sessionId: string | undefined,
): Promise<void> {
  const res = await post(endpoint, sessionHeaders(endpoint, sessionId), TOOLS_CALL_BODY);
  if (res.status !== 200) throw new Error(`tools/call failed: ${describe(res.status, res.text)}`);
  const contentType = res.headers['content-type'];
  const message = parseJsonRpcBody(
    typeof contentType === 'string' ? contentType : undefined,
    res.text,
  ) as {
    result?: { content?: { text?: unknown }[] };
  };
  if (message.result?.content?.[0]?.text !== ECHO_TEXT) {
    throw new Error(`tools/call returned an unexpected answer: ${res.text.slice(0, 300)}`);
  }
}
