/**
 * The upstream port: what the mcp layer needs from any MCP server the
 * gateway fronts, whatever its transport. One file per transport implements
 * it (streamable-http.ts, legacy-sse.ts, stdio.ts).
 */
import type { JsonRpcMessage } from '../mcp/json-rpc.ts';
import type { ReplyBody } from './http-client.ts';

export type UpstreamEra = 'legacy' | 'modern';

/** The signed caller identity (`forward_identity`), a per-call header in `UpstreamCall.headers`. */
export const IDENTITY_HEADER = 'x-portcullis-identity';

export interface UpstreamCall {
  /** Legacy era: the upstream's Mcp-Session-Id, when it minted one. */
  sessionId?: string | null;
  protocolVersion?: string | null;
  /** Extra headers to send as they are (Mcp-Method, Mcp-Name, Mcp-Param-*, Last-Event-ID, traceparent). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Time allowed for the answer to start, and between the messages of a streamed answer. */
  timeoutMs: number;
  /** The answer is a stream that lasts as long as the client listens (subscriptions/listen): no idle limit. */
  longLived?: boolean;
}

export interface StreamedMessage {
  message: JsonRpcMessage | null;
  /** SSE event id, when the upstream set one (resumability). */
  eventId: string | undefined;
  /** SSE retry the upstream asked for. */
  retry: number | undefined;
}

/** What one POST of one message produced. */
export type UpstreamOutcome =
  | { kind: 'accepted'; status: number; sessionId: string | undefined }
  | {
      kind: 'json';
      status: number;
      sessionId: string | undefined;
      message: JsonRpcMessage;
      bytes: number;
    }
  | {
      kind: 'stream';
      status: number;
      sessionId: string | undefined;
      messages: AsyncIterable<StreamedMessage>;
      /** Releases the stream at once, even while a read is pending (the reader is done with it). */
      close?: () => void;
    }
  /** The upstream answered 404 to a call carrying a session id: the session is gone. */
  | { kind: 'session-gone'; status: 404 };

/** A raw reply for byte-level pass-through (modern era to a modern upstream). */
export interface RawReply {
  status: number;
  contentType: string;
  headers: Record<string, string | string[] | undefined>;
  body: ReplyBody;
}

export interface Upstream {
  readonly serverKey: string;
  /**
   * Set by transports that exist in one era only (legacy HTTP+SSE): the era
   * is known without a probe, and `forward` is never called.
   */
  readonly fixedEra?: 'legacy';
  /** POSTs one JSON-RPC message (or a 2025-03-26 batch) and classifies the answer. */
  post(message: JsonRpcMessage | JsonRpcMessage[], call: UpstreamCall): Promise<UpstreamOutcome>;
  /** Opens the legacy standalone GET stream; `null` when the upstream answers 405. */
  listen(call: UpstreamCall): Promise<AsyncIterable<StreamedMessage> | null>;
  /** Ends a legacy upstream session (DELETE); failures are ignored. */
  terminate(call: UpstreamCall): Promise<void>;
  /** Forwards a body byte for byte and hands back the raw reply. */
  forward(body: Buffer | string, call: UpstreamCall): Promise<RawReply>;
  close(): Promise<void>;
}
