/**
 * The long-lived parts of era bridging on one instance (see README.md):
 * sealing of the MRTR state handed to modern clients, upstream calls held
 * between their rounds, legacy clients' answers being waited for, bridged
 * legacy sessions' settings, learned tool header annotations, and which
 * upstreams refuse the 2025 protocol.
 */
import type { SealedBox } from '../../session/sealed-box.ts';
import type { InstanceRelay } from '../../shared-state/relay/instance-relay.ts';
import { createRelayedClientAnswers } from '../../shared-state/relay/relayed-client-answers.ts';
import { createClientAnswers } from './client-answers.ts';
import type { ClientAnswers } from './client-answers.ts';
import { createHeldCalls } from './held-calls.ts';
import type { HeldCalls } from './held-calls.ts';
import { createLegacySessionState } from './legacy-session-state.ts';
import type { LegacySessionState } from './legacy-session-state.ts';
import { createRequestStateSeal } from './request-state.ts';
import type { RequestStateSeal } from './request-state.ts';
import { createToolParamHeaders } from './tool-param-headers.ts';
import type { ToolParamHeaders } from './tool-param-headers.ts';

export interface EraBridgeOptions {
  box: SealedBox;
  /** How long the gateway waits for a client's input: a modern client's retry, a legacy client's answer. */
  inputTimeoutMs: number;
  /** How long "this upstream refuses the 2025 protocol" is believed before it is tried again. */
  horizonMs: number;
  /** Reaches the instance holding a call, or waiting for an answer, when the client's next request lands elsewhere. */
  relay?: InstanceRelay;
}

/** Upstreams that refused a legacy `initialize` although they serve 2026-07-28. */
export interface ModernOnlyUpstreams {
  has(serverKey: string): boolean;
  remember(serverKey: string): void;
  forget(serverKey: string): void;
}

export interface EraBridge {
  readonly inputTimeoutMs: number;
  readonly requestState: RequestStateSeal;
  readonly heldCalls: HeldCalls;
  readonly clientAnswers: ClientAnswers;
  readonly legacySessions: LegacySessionState;
  readonly toolHeaders: ToolParamHeaders;
  readonly modernOnly: ModernOnlyUpstreams;
  /**
   * Marks a bridged upstream session as having been asked for every log
   * level; true the first time (the caller then sends `logging/setLevel`).
   */
  openLogLevel(upstreamSessionId: string): boolean;
  /** Registers a long-lived bridged stream, ended by `close`; returns the unregister. */
  trackStream(end: () => void): () => void;
  /** Ends bridged streams and cancels held calls (shutdown). */
  close(): void;
}

const MAX_HELD_CALLS = 10_000;
const MAX_SESSIONS = 100_000;
const MAX_TOOLS = 50_000;

export function createEraBridge(options: EraBridgeOptions): EraBridge {
  const modernOnly = new Map<string, number>();
  const logLevelOpened = new Set<string>();
  const streams = new Set<() => void>();
  const heldCalls = createHeldCalls({
    holdMs: options.inputTimeoutMs,
    maxCalls: MAX_HELD_CALLS,
    ...(options.relay === undefined ? {} : { relay: options.relay }),
  });
  // An answer landing on another instance than the one waiting is sent to it.
  const clientAnswers =
    options.relay === undefined
      ? createClientAnswers(options.inputTimeoutMs)
      : createRelayedClientAnswers(createClientAnswers(options.inputTimeoutMs), options.relay, {
          timeoutMs: options.inputTimeoutMs,
        });
  return {
    inputTimeoutMs: options.inputTimeoutMs,
    // A held call outlives its state by at most the hold time, so the state expires with it.
    requestState: createRequestStateSeal(options.box, options.inputTimeoutMs),
    heldCalls,
    clientAnswers,
    legacySessions: createLegacySessionState(MAX_SESSIONS),
    toolHeaders: createToolParamHeaders(MAX_TOOLS),
    modernOnly: {
      has(serverKey) {
        const until = modernOnly.get(serverKey);
        if (until === undefined) return false;
        if (until > Date.now()) return true;
        modernOnly.delete(serverKey);
        return false;
      },
      remember(serverKey) {
        modernOnly.set(serverKey, Date.now() + options.horizonMs);
      },
      forget(serverKey) {
        modernOnly.delete(serverKey);
      },
    },
    openLogLevel(upstreamSessionId) {
      if (logLevelOpened.has(upstreamSessionId)) return false;
      if (logLevelOpened.size >= MAX_SESSIONS) logLevelOpened.clear();
      logLevelOpened.add(upstreamSessionId);
      return true;
    },
    trackStream(end) {
      streams.add(end);
      return () => streams.delete(end);
    },
    close() {
      for (const end of [...streams]) end();
      streams.clear();
      heldCalls.clear();
      clientAnswers.clear();
    },
  };
}
