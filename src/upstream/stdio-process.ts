/**
 * One generation of a stdio upstream: a child process speaking
 * newline-delimited JSON-RPC on stdin/stdout (MCP basic/transports/stdio).
 * Its stdout messages go to the same router as a legacy HTTP+SSE stream
 * (legacy-sse-router.ts), since both are one long-lived channel whose
 * messages must be attributed to requests. stderr is free-form and drained
 * line by line into the log; it never implies an error.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonRpcMessage } from '../mcp/json-rpc.ts';
import { GatewayError } from '../shared/errors.ts';
import type { ChildReaper } from './child-reaper.ts';
import { parseMessage } from './http-client.ts';
import { createMessageRouter } from './legacy-sse-router.ts';
import type { MessageRouter, RouterDeps, UpstreamLog } from './legacy-sse-router.ts';
import { readLines } from './line-reader.ts';

export interface ProcessLog extends UpstreamLog {
  info(details: object, message: string): void;
}

export interface StdioProcess {
  /** Opaque id of this generation: the upstream session id the gateway hands out. */
  readonly id: string;
  readonly pid: number | undefined;
  readonly startedAt: number;
  readonly live: boolean;
  readonly router: MessageRouter;
  /** When it was last used, or undefined while a request or a listener holds it. */
  idleSince(): number | undefined;
  /** Writes one message to stdin; throws when the process is gone. */
  send(message: JsonRpcMessage): void;
  /** Closes stdin, waits, SIGTERM, waits, SIGKILL (MCP stdio "Shutdown"). */
  stop(reason: GatewayError): Promise<void>;
}

export interface StdioProcessDeps {
  readonly serverKey: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The whole environment of the child: nothing else is inherited. */
  readonly env: Record<string, string>;
  readonly log: ProcessLog;
  readonly reaper: ChildReaper;
  readonly graceMs: number;
  readonly maxLineBytes: number;
  readonly cwd?: string;
  /** Which server→client requests may reach which call's client (legacy-sse-router.ts). */
  readonly screenServerRequest?: RouterDeps['screenServerRequest'];
  /** Called once when the process is gone; `expected` when stop() ended it. */
  onExit(process: StdioProcess, reason: GatewayError, expected: boolean): void;
}

const STDERR_LINE_BYTES = 64 * 1024;

export function spawnStdioProcess(deps: StdioProcessDeps): StdioProcess {
  const { serverKey, log } = deps;
  const child = spawn(deps.command, [...deps.args], {
    env: deps.env,
    ...(deps.cwd === undefined ? {} : { cwd: deps.cwd }),
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group (POSIX): stopping the server stops what it started, too.
    detached: process.platform !== 'win32',
    windowsHide: true,
  });
  /** Signals the child's whole process group; the child alone where there are none. */
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      if (process.platform !== 'win32' && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // The group is already empty.
    }
  };
  deps.reaper.track(child);
  const exited = Promise.withResolvers<void>();
  let live = true;
  let stopping = false;
  let lastActive = Date.now();

  const send = (message: JsonRpcMessage): void => {
    if (!live || !child.stdin.writable)
      throw new GatewayError('upstream_unavailable', `The stdio server ${serverKey} has exited.`);
    lastActive = Date.now();
    // JSON.stringify escapes every newline inside strings, so one message is one line.
    child.stdin.write(`${JSON.stringify(message)}\n`);
  };
  const router = createMessageRouter({
    serverKey,
    log,
    sendQuietly: (message) => {
      if (live) send(message);
    },
    touch: () => {
      lastActive = Date.now();
    },
    screenServerRequest: deps.screenServerRequest,
  });

  const stdioProcess: StdioProcess = {
    id: `stdio.${crypto.randomBytes(12).toString('base64url')}`,
    pid: child.pid,
    startedAt: Date.now(),
    get live() {
      return live;
    },
    router,
    idleSince: () => (router.busy() ? undefined : lastActive),
    send,
    async stop(reason) {
      stopping = true;
      end(reason);
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
        // Whatever the exited child left behind (a grandchild holding its stdout).
        signalGroup('SIGKILL');
        return;
      }
      child.stdin.end();
      const steps: Array<NodeJS.Signals | null> = ['SIGTERM', 'SIGKILL', null];
      for (const signal of steps) {
        const timer = new AbortController();
        await Promise.race([exited.promise, sleep(deps.graceMs, undefined, timer).catch(() => 0)]);
        timer.abort();
        if (child.exitCode !== null || child.signalCode !== null || signal === null) {
          signalGroup('SIGKILL');
          return;
        }
        signalGroup(signal);
      }
    },
  };

  /** Fails whatever waits on this process; its late answers are no longer read. */
  function end(reason: GatewayError): void {
    if (!live) return;
    live = false;
    router.failAll(reason);
  }

  const finish = (reason: GatewayError): void => {
    deps.reaper.untrack(child);
    // A server that exits takes what it started with it.
    signalGroup('SIGKILL');
    end(reason);
    exited.resolve();
    deps.onExit(stdioProcess, reason, stopping);
  };
  let finished = false;
  const finishOnce = (reason: GatewayError): void => {
    if (finished) return;
    finished = true;
    finish(reason);
  };
  child.once('exit', (code, signal) =>
    finishOnce(
      new GatewayError(
        'upstream_unavailable',
        `The stdio server ${serverKey} exited (${signal ?? `code ${code}`}).`,
      ),
    ),
  );
  child.once('error', (error) =>
    finishOnce(
      new GatewayError('upstream_unavailable', `The stdio server ${serverKey} could not run.`, {
        cause: error,
      }),
    ),
  );
  // A child that stops reading stdin must not crash the gateway with EPIPE.
  child.stdin.on('error', (error) =>
    log.debug({ server: serverKey, err: error }, 'stdio server stdin closed'),
  );

  const pumpStdout = async (): Promise<void> => {
    const overflow = (): void =>
      log.warn({ server: serverKey }, `skipped a stdout line over ${deps.maxLineBytes} bytes`);
    let first = true;
    for await (const read of readLines(child.stdout, deps.maxLineBytes, overflow)) {
      // A byte order mark before the first message (written by some runtimes) is not JSON.
      const line = first && read.startsWith('\uFEFF') ? read.slice(1) : read;
      first = false;
      if (line.trim() === '' || !live) continue;
      try {
        router.route(parseMessage(line, serverKey));
      } catch (error) {
        log.warn({ server: serverKey, err: error }, 'skipped an unreadable stdio server message');
      }
    }
  };
  const pumpStderr = async (): Promise<void> => {
    for await (const line of readLines(child.stderr, STDERR_LINE_BYTES))
      log.info({ server: serverKey, pid: child.pid, stream: 'stderr' }, line);
  };
  void pumpStdout().catch(() => undefined);
  void pumpStderr().catch(() => undefined);
  return stdioProcess;
}
