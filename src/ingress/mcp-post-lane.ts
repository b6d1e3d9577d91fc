/**
 * The MCP POST lane: `POST /<workspace>/<server>/mcp` with a JSON body, the
 * gateway's hot path, served straight from node:http in front of Fastify.
 * Fastify's per-request pipeline (request and reply objects, hooks, the
 * content-type parser, reply serialization) was the largest share of the
 * gateway's own CPU per `tools/call` after the socket writes
 * (docs/benchmarks.md). The lane does the same checks the app does for an
 * MCP path (Origin/Host guard, CORS, request id, body limit) and hands the
 * endpoint the same request and reply it would get from Fastify.
 *
 * Everything else goes on to Fastify, which answers as before: other
 * methods, other or missing content types, percent-encoded paths, query
 * strings, and every request once the server is closing (Fastify's 503).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpReply, McpRequest } from '../mcp/mcp-call.ts';
import { gatewayErrorResponse } from '../mcp/reply.ts';
import { GatewayError, toGatewayError } from '../shared/errors.ts';
import type { OriginGuard } from './origin-guard.ts';

type McpParams = McpRequest['params'];

export interface McpPostLaneOptions {
  readonly bodyLimit: number;
  readonly originGuard: OriginGuard;
  /** Response headers for an allowed browser Origin (the app's CORS for MCP paths). */
  readonly corsHeaders: (origin: string) => Record<string, string>;
  readonly newRequestId: () => string;
  readonly isClosing: () => boolean;
  readonly handle: (request: McpRequest, reply: McpReply) => Promise<void>;
  readonly onRejection?: (request: McpRequest, error: GatewayError, params: McpParams) => void;
  readonly logError: (error: unknown) => void;
}

/** Handles the request and returns true, or returns false and leaves it to Fastify. */
export type McpPostLane = (req: IncomingMessage, res: ServerResponse) => boolean;

/** `/<workspace>/<server>/mcp` with plain segments, or undefined. */
function mcpParams(url: string): McpParams | undefined {
  if (url.charCodeAt(0) !== 47 /* / */ || !url.endsWith('/mcp')) return undefined;
  const second = url.indexOf('/', 1);
  const third = second < 0 ? -1 : url.indexOf('/', second + 1);
  if (second <= 1 || third !== url.length - 4 || third === second + 1) return undefined;
  // Fastify decodes percent-escapes and strips queries; the lane leaves such URLs to it.
  if (url.includes('%') || url.includes('?')) return undefined;
  return { workspaceId: url.slice(1, second), serverId: url.slice(second + 1, third) };
}

export function payloadTooLarge(bodyLimit: number): GatewayError {
  return new GatewayError(
    'payload_too_large',
    `Payload Too Large: the body exceeds ${bodyLimit} bytes.`,
  );
}

function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType);
}

/** Fastify's reply behaviour for what the mcp layer uses: one writeHead with every header. */
class LaneReply implements McpReply {
  sent = false;
  readonly raw: ServerResponse;
  #status = 200;
  #headers: Record<string, string | number> = {};

  constructor(raw: ServerResponse) {
    this.raw = raw;
  }

  code(status: number): this {
    this.#status = status;
    return this;
  }

  header(name: string, value: string): this {
    this.#headers[name.toLowerCase()] = value;
    return this;
  }

  headers(values: Record<string, string>): this {
    for (const name in values) this.#headers[name.toLowerCase()] = values[name]!;
    return this;
  }

  type(contentType: string): this {
    // As Fastify: a JSON type without a charset gets `charset=utf-8`.
    this.#headers['content-type'] =
      contentType.includes('json') && !/;\s*charset=/i.test(contentType)
        ? `${contentType}; charset=utf-8`
        : contentType;
    return this;
  }

  send(payload?: string): this {
    if (this.sent) return this;
    this.sent = true;
    const headers = this.#headers;
    if (payload === undefined) {
      headers['content-length'] = 0;
      this.raw.writeHead(this.#status, headers).end();
      return this;
    }
    headers['content-type'] ??= 'text/plain; charset=utf-8';
    headers['content-length'] = Buffer.byteLength(payload);
    this.raw.writeHead(this.#status, headers).end(payload);
    return this;
  }

  hijack(): void {
    this.sent = true;
  }
}

export function createMcpPostLane(options: McpPostLaneOptions): McpPostLane {
  const { bodyLimit } = options;

  function refuse(request: McpRequest, reply: LaneReply, thrown: unknown): void {
    const error = toGatewayError(thrown);
    options.onRejection?.(request, error, request.params);
    reply
      .code(error.status)
      .headers(error.headers ?? {})
      .type('application/json')
      .send(JSON.stringify(gatewayErrorResponse(null, error)));
  }

  function serve(request: McpRequest, reply: LaneReply): void {
    options.handle(request, reply).catch((error: unknown) => {
      options.logError(error);
      if (!reply.raw.headersSent) refuse(request, new LaneReply(reply.raw), error);
      else reply.raw.destroy();
    });
  }

  return (req, res) => {
    if (req.method !== 'POST' || !isJson(req.headers['content-type'])) return false;
    const params = mcpParams(req.url ?? '');
    if (params === undefined || options.isClosing()) return false;

    const id = options.newRequestId();
    res.setHeader('x-request-id', id);
    const reply = new LaneReply(res);
    const request: { -readonly [K in keyof McpRequest]: McpRequest[K] } = {
      id,
      method: 'POST',
      url: req.url!,
      headers: req.headers,
      body: undefined,
      params,
      raw: req,
    };
    try {
      options.originGuard.check(req.headers.origin, req.headers.host);
    } catch (error) {
      refuse(request, reply, error);
      req.resume();
      return true;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && options.originGuard.allows(origin))
      for (const [name, value] of Object.entries(options.corsHeaders(origin)))
        res.setHeader(name, value);

    // Too large: answered at once, and the connection closes rather than read the rest.
    const tooLarge = (): void => {
      res.shouldKeepAlive = false;
      refuse(request, reply, payloadTooLarge(bodyLimit));
      req.resume();
    };
    if (Number(req.headers['content-length']) > bodyLimit) {
      tooLarge();
      return true;
    }

    // Read raw chunks and keep them as they are: one chunk is the usual case.
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= bodyLimit) return void chunks.push(chunk);
      req.off('data', onData).off('end', onEnd);
      chunks.length = 0;
      tooLarge();
    };
    const onEnd = (): void => {
      req.off('data', onData);
      request.body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      serve(request, reply);
    };
    req.on('data', onData).once('end', onEnd);
    // A client that goes away mid-body gets no answer; nothing was done for it.
    req.once('error', () => req.off('data', onData).off('end', onEnd));
    return true;
  };
}
