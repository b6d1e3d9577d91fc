/**
 * A minimal, fast MCP Streamable HTTP server of the 2025-11-25 era: sessions by
 * `Mcp-Session-Id`, JSON responses only, an `echo` tool and `EXTRA_TOOL_COUNT` more
 * (listed and callable, answering like echo: the policy scenario's rules name them). It is the upstream every
 * benchmark target reaches, and the "direct" target itself, so it must cost as
 * little as possible: no framework, no schema validation, no SSE.
 *
 * `GET /stats` answers how many requests it has served, by JSON-RPC method (and
 * `unknown-session` for 404s), so a benchmark can tell how many upstream round trips
 * a proxy made per client operation.
 *
 * Run as a process: `node bench/cheap-upstream.ts [--port N] [--host H]`; it prints
 * one JSON line `{"url":"http://host:port/mcp"}` on stdout once it listens.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import type { RunningServer } from './running-server.ts';

export interface CheapUpstreamOptions {
  readonly host?: string;
  readonly port?: number;
  /** Oldest sessions are forgotten past this count, so long runs stay bounded. */
  readonly maxSessions?: number;
}

const SUPPORTED_VERSIONS = new Set(['2025-03-26', '2025-06-18', '2025-11-25']);
const LATEST_VERSION = '2025-11-25';
const SESSION_HEADER = 'mcp-session-id';

const ECHO_TOOL = {
  name: 'echo',
  description: 'Returns its text argument.',
  inputSchema: {
    type: 'object',
    properties: { text: { type: 'string' } },
    required: ['text'],
  },
};

/** Tools besides echo: a realistic policy names many tools, most of them not the one called. */
export const EXTRA_TOOL_COUNT = 40;

export function extraToolName(index: number): string {
  return `tool_${String(index + 1).padStart(2, '0')}`;
}

const EXTRA_TOOLS = Array.from({ length: EXTRA_TOOL_COUNT }, (_, index) => ({
  name: extraToolName(index),
  description: `Bench tool ${index + 1}; returns its text argument.`,
  inputSchema: ECHO_TOOL.inputSchema,
  // Every other tool is read-only, so read-only rules have something to keep and to hide.
  annotations: { readOnlyHint: index % 2 === 0 },
}));

const TOOLS = [ECHO_TOOL, ...EXTRA_TOOLS];
const TOOL_NAMES = new Set(TOOLS.map((tool) => tool.name));

type JsonRpcId = string | number;

interface JsonRpcMessage {
  readonly jsonrpc?: unknown;
  readonly id?: JsonRpcId;
  readonly method?: unknown;
  readonly params?: {
    readonly name?: unknown;
    readonly arguments?: { readonly text?: unknown };
    readonly protocolVersion?: unknown;
  };
}

function sendJson(
  res: http.ServerResponse,
  status: number,
  payload: unknown,
  extraHeaders?: Record<string, string>,
): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...extraHeaders,
  });
  res.end(body);
}

function rpcError(id: JsonRpcId | null, code: number, message: string): unknown {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

function callTool(message: JsonRpcMessage): unknown {
  const id = message.id ?? null;
  const params = message.params;
  const name = params?.name;
  if (name !== 'echo' && (typeof name !== 'string' || !TOOL_NAMES.has(name)))
    return rpcError(id, -32602, `Unknown tool: ${String(name)}`);
  const text = params?.arguments?.text;
  if (typeof text !== 'string')
    return rpcError(id, -32602, `${name} needs a string argument "text"`);
  return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }], isError: false } };
}

function answer(message: JsonRpcMessage): unknown {
  const id = message.id ?? null;
  switch (message.method) {
    case 'tools/call':
      return callTool(message);
    case 'tools/list':
      return { jsonrpc: '2.0', id, result: { tools: TOOLS } };
    case 'ping':
      return { jsonrpc: '2.0', id, result: {} };
    default:
      return rpcError(id, -32601, `Method not found: ${String(message.method)}`);
  }
}

export const STATS_PATH = '/stats';

export function createCheapUpstreamHandler(maxSessions = 100_000): http.RequestListener {
  // Insertion-ordered, so the first key is always the oldest session.
  const sessions = new Set<string>();
  const served = new Map<string, number>();
  const count = (what: string): void => {
    served.set(what, (served.get(what) ?? 0) + 1);
  };

  function openSession(): string {
    const id = randomUUID();
    sessions.add(id);
    if (sessions.size > maxSessions) {
      const oldest = sessions.values().next().value;
      if (oldest !== undefined) sessions.delete(oldest);
    }
    return id;
  }

  function handlePost(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
    let message: JsonRpcMessage;
    try {
      message = JSON.parse(raw) as JsonRpcMessage;
    } catch {
      sendJson(res, 400, rpcError(null, -32700, 'Parse error'));
      return;
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      sendJson(res, 400, rpcError(null, -32600, 'Invalid Request'));
      return;
    }
    count(typeof message.method === 'string' ? message.method : '(response)');
    if (message.method === 'initialize') {
      const sessionId = openSession();
      const requested = message.params?.protocolVersion;
      const result = {
        protocolVersion:
          typeof requested === 'string' && SUPPORTED_VERSIONS.has(requested)
            ? requested
            : LATEST_VERSION,
        capabilities: { tools: { listChanged: false } },
        serverInfo: { name: 'cheap-upstream', version: '1.0.0' },
      };
      sendJson(
        res,
        200,
        { jsonrpc: '2.0', id: message.id ?? null, result },
        { 'mcp-session-id': sessionId },
      );
      return;
    }
    const sessionId = req.headers[SESSION_HEADER];
    if (typeof sessionId !== 'string') {
      sendJson(res, 400, rpcError(null, -32000, 'Bad Request: Mcp-Session-Id header is required'));
      return;
    }
    if (!sessions.has(sessionId)) {
      count('unknown-session');
      sendJson(res, 404, rpcError(null, -32001, 'Session not found'));
      return;
    }
    // Notifications (no id) and responses to server requests (no method): 202, no body.
    if (message.id === undefined || message.method === undefined) {
      res.writeHead(202, { 'content-length': 0 });
      res.end();
      return;
    }
    sendJson(res, 200, answer(message));
  }

  return (req, res) => {
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString();
        handlePost(req, res, raw);
      });
      return;
    }
    if (req.method === 'DELETE') {
      const sessionId = req.headers[SESSION_HEADER];
      const known = typeof sessionId === 'string' && sessions.delete(sessionId);
      res.writeHead(known ? 200 : 404, { 'content-length': 0 });
      res.end();
      req.resume();
      return;
    }
    if (req.method === 'GET' && req.url === STATS_PATH) {
      sendJson(res, 200, Object.fromEntries(served));
      req.resume();
      return;
    }
    // No server-initiated stream: GET is refused as the spec allows.
    res.writeHead(405, { allow: 'POST, DELETE', 'content-length': 0 });
    res.end();
    req.resume();
  };
}

export async function startCheapUpstream(
  options: CheapUpstreamOptions = {},
): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer(createCheapUpstreamHandler(options.maxSessions));
  // Idle gaps between benchmark rounds must not close pooled connections.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { host: { type: 'string' }, port: { type: 'string' } },
  });
  const running = await startCheapUpstream({
    host: values.host,
    port: values.port === undefined ? 0 : Number(values.port),
  });
  process.stdout.write(`${JSON.stringify({ url: running.url })}\n`);
  process.on('SIGTERM', () => void running.close().then(() => process.exit(0)));
}
