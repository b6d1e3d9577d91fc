/**
 * A held call continued from another instance. The upstream exchange of a
 * held call (a legacy upstream's open answer stream, or a stdio process)
 * exists only on the instance that started it, and cannot be sealed into
 * the client's `requestState`; so a retry that lands elsewhere is played on
 * the owner, step by step, over the instance relay:
 *
 *   retry instance                      owner
 *   answer(inputResponses) ── answer ──▶ take (checks the round), answer upstream
 *                          ◀── ack ───── serverInfo, or why not
 *   next(notify, signal)   ── next ────▶ held.next: each notification ──▶ notify,
 *                          ◀── outcome ─ then the round's outcome (or its error)
 *   (during the round)     ◀── alive ──▶ both ways, every few seconds
 *   (client gone)          ── abort ───▶ aborts that round's signal
 *   park (next round)      ── park ────▶ (already parked by the owner when the round asked for input)
 *   cancel                 ── cancel ──▶ cancelled upstream
 *
 * The retry instance builds the client's response itself (and seals the
 * next `requestState`, which names the same call, hence the same owner).
 * A round may last as long as the upstream works, so neither side times it
 * out while the other is heard from: a retry instance that dies mid-round
 * falls silent, and the owner cancels the call upstream; an owner that dies
 * fails the round on the retry instance. Between rounds the owner keeps a
 * lent call on the hold clock.
 */
import crypto from 'node:crypto';
import { GatewayError, toGatewayError } from '../../shared/errors.ts';
import type { ErrorCode } from '../../shared/errors.ts';
import type { InstanceRelay } from '../../shared-state/relay/instance-relay.ts';
import type { JsonRpcMessage } from '../json-rpc.ts';
import type { HeldCall, RoundOutcome } from './held-call.ts';

const T = {
  answer: 'held-call.answer',
  next: 'held-call.next',
  abort: 'held-call.abort',
  park: 'held-call.park',
  cancel: 'held-call.cancel',
  alive: 'held-call.alive',
  reply: 'held-call.reply',
} as const;

/** The owner side: how it finds, lends and parks its calls. */
export interface HeldCallOwner {
  /** Takes a parked call for a remote round; undefined when unknown, `stale` for another round. */
  lend(id: string, round: number): HeldCall | 'stale' | undefined;
  /** A lent call, by id. */
  lent(id: string): HeldCall | undefined;
  /** A round of the lent call is being played: no hold clock meanwhile. */
  playing(id: string): void;
  /** The lent call ended (its final answer went out): forget it. */
  release(id: string): void;
  park(call: HeldCall): void;
  cancel(id: string, reason: string): void;
}

interface WireError {
  code: string;
  message: string;
}

type Reply =
  | { corr: string; kind: 'ack'; serverInfo: unknown }
  | { corr: string; kind: 'notify'; message: JsonRpcMessage }
  | { corr: string; kind: 'alive' }
  | { corr: string; kind: 'outcome'; outcome: RoundOutcome }
  | { corr: string; kind: 'error'; error: WireError };

/** How often each side of a remote round says it is still there. */
const HEARTBEAT_MS = 5_000;

const newCorr = (): string => crypto.randomBytes(9).toString('base64url');

const toWire = (error: unknown): WireError => {
  const failure = toGatewayError(error);
  return { code: failure.code, message: failure.message };
};

const fromWire = (error: WireError): GatewayError =>
  new GatewayError(error.code as ErrorCode, error.message);

export interface HeldCallsRelay {
  /** A stand-in for a call held by `owner`, at the round the client's state names. */
  remote(owner: string, id: string, round: number): HeldCall;
  close(): void;
}

export function createHeldCallsRelay(
  relay: InstanceRelay,
  owner: HeldCallOwner,
  options: { timeoutMs: number; heartbeatMs?: number },
): HeldCallsRelay {
  const self = relay.instanceId;
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const silenceMs = heartbeatMs * 3;
  const waiting = new Map<string, (reply: Reply) => void>();
  /** Rounds played here for another instance, by correlation id. */
  const rounds = new Map<string, { controller: AbortController; heard: number }>();
  /** Fire and forget: a lost message shows as silence, which both sides handle. */
  const post = (to: string, topic: string, payload: unknown): void =>
    void relay.send(to, topic, payload).catch(() => undefined);
  const reply = (to: string, message: Reply): void => post(to, T.reply, message);

  const offs = [
    relay.on(T.reply, (payload) => {
      const message = payload as Reply;
      waiting.get(message.corr)?.(message);
    }),
    relay.on(T.answer, (payload) => {
      const { id, round, inputResponses, from, corr } = payload as {
        id: string;
        round: number;
        inputResponses: unknown;
        from: string;
        corr: string;
      };
      const call = owner.lend(id, round);
      if (call === undefined || call === 'stale') {
        reply(from, {
          corr,
          kind: 'error',
          error: toWire(
            new GatewayError(
              'invalid_params',
              call === 'stale'
                ? 'This requestState belongs to an earlier round.'
                : 'The call this requestState continues is no longer held (it timed out or was already retried); send the request again without requestState.',
            ),
          ),
        });
        return;
      }
      call.answer(inputResponses).then(
        () => reply(from, { corr, kind: 'ack', serverInfo: call.serverInfo }),
        (error: unknown) => {
          owner.cancel(id, 'The gateway could not deliver the client input.');
          reply(from, { corr, kind: 'error', error: toWire(error) });
        },
      );
    }),
    relay.on(T.next, (payload) => {
      const { id, from, corr } = payload as { id: string; from: string; corr: string };
      const call = owner.lent(id);
      if (call === undefined) {
        reply(from, { corr, kind: 'outcome', outcome: { kind: 'gone' } });
        return;
      }
      owner.playing(id);
      const round = { controller: new AbortController(), heard: Date.now() };
      rounds.set(corr, round);
      const beat = setInterval(() => {
        if (Date.now() - round.heard > silenceMs) {
          // The retry instance is gone: nobody will ever retry or cancel this call.
          round.controller.abort();
          owner.cancel(id, 'The gateway instance continuing this call went away.');
        } else reply(from, { corr, kind: 'alive' });
      }, heartbeatMs);
      beat.unref();
      call
        .next((message) => reply(from, { corr, kind: 'notify', message }), round.controller.signal)
        .then(
          (outcome) => {
            if (outcome.kind === 'final') owner.release(id);
            if (outcome.kind === 'input') {
              // Parked for the next round before the client can hear of it, as the retry
              // instance's own `park` would (which then finds nothing lent and is ignored).
              call.round += 1;
              owner.park(call);
            }
            reply(from, { corr, kind: 'outcome', outcome });
          },
          (error: unknown) => {
            owner.release(id);
            reply(from, { corr, kind: 'error', error: toWire(error) });
          },
        )
        .finally(() => {
          clearInterval(beat);
          rounds.delete(corr);
        });
    }),
    relay.on(T.alive, (payload) => {
      const round = rounds.get((payload as { corr: string }).corr);
      if (round) round.heard = Date.now();
    }),
    relay.on(T.abort, (payload) => {
      rounds.get((payload as { corr: string }).corr)?.controller.abort();
    }),
    relay.on(T.park, (payload) => {
      const { id, round } = payload as { id: string; round: number };
      const call = owner.lent(id);
      if (call === undefined) return;
      call.round = round;
      owner.park(call);
    }),
    relay.on(T.cancel, (payload) => {
      const { id, reason } = payload as { id: string; reason: string };
      owner.cancel(id, reason);
    }),
  ];

  /** Sends a request to the owner and takes its replies until `onReply` says done. */
  const exchange = async (
    to: string,
    topic: string,
    body: Record<string, unknown>,
    onReply: (reply: Reply) => boolean,
    corr = newCorr(),
    timeoutMs = options.timeoutMs,
  ): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<void>((resolve, reject) => {
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        waiting.delete(corr);
        if (error) reject(error);
        else resolve();
      };
      timer = setTimeout(
        () =>
          finish(
            new GatewayError(
              'upstream_unavailable',
              'The gateway instance holding this call did not answer.',
            ),
          ),
        timeoutMs,
      );
      timer.unref();
      waiting.set(corr, (message) => {
        timer?.refresh();
        try {
          if (onReply(message)) finish();
        } catch (error) {
          finish(error as Error);
        }
      });
    });
    const sent = await relay.send(to, topic, { ...body, from: self, corr }).catch(() => false);
    if (!sent) {
      clearTimeout(timer);
      waiting.delete(corr);
      throw new GatewayError(
        'invalid_params',
        'The gateway instance holding this call is gone; send the request again without requestState.',
      );
    }
    return done;
  };

  return {
    remote(to, id, round) {
      let serverInfo: unknown;
      let acquired = false;
      return {
        id,
        round,
        get serverInfo() {
          return serverInfo;
        },
        async answer(inputResponses) {
          await exchange(to, T.answer, { id, round, inputResponses }, (message) => {
            if (message.kind === 'error') throw fromWire(message.error);
            if (message.kind !== 'ack') return false;
            serverInfo = message.serverInfo;
            acquired = true;
            return true;
          });
        },
        async next(notify, signal) {
          if (signal.aborted) return { kind: 'gone' };
          let outcome: RoundOutcome = { kind: 'gone' };
          const corr = newCorr();
          const onAbort = (): void => post(to, T.abort, { corr });
          signal.addEventListener('abort', onAbort, { once: true });
          const beat = setInterval(() => post(to, T.alive, { corr }), heartbeatMs);
          beat.unref();
          try {
            await exchange(
              to,
              T.next,
              { id },
              (message) => {
                if (message.kind === 'notify') {
                  notify?.(message.message);
                  return false;
                }
                if (message.kind === 'error') throw fromWire(message.error);
                if (message.kind !== 'outcome') return false;
                outcome = message.outcome;
                return true;
              },
              corr,
              silenceMs,
            );
          } finally {
            clearInterval(beat);
            signal.removeEventListener('abort', onAbort);
          }
          return outcome;
        },
        cancel(reason) {
          // A call the owner refused to lend is not this retry's to cancel.
          if (acquired) post(to, T.cancel, { id, reason });
        },
      } satisfies HeldCall & { round: number };
    },
    close() {
      for (const off of offs) off();
      for (const round of rounds.values()) round.controller.abort();
    },
  };
}

/**
 * Lets `park` on the retry instance send the call back to its owner under
 * its new round, instead of keeping a stand-in here.
 */
export function parkRemote(relay: InstanceRelay, owner: string, call: HeldCall): void {
  relay.send(owner, T.park, { id: call.id, round: call.round }).catch(() => undefined);
}
