/**
 * Micro-harness for the price of capture `full` per `tools/call`, in one
 * process, without HTTP: the parts issue 7's capture scenario adds on top of
 * records off, each timed alone over the bench's own echo call, so a change
 * to one of them can be compared A/B on a noisy machine.
 *
 *   node bench/capture-cost.ts [--rounds 5] [--calls 20000] [--against DIR]
 *
 * `--against DIR` times the same parts from another checkout's `src` too
 * (the last commit, say: `git archive HEAD src | tar -x -C DIR`, with DIR's
 * package.json and node_modules taken from this one), interleaved with these.
 *
 * Parts: `redact` (arguments then result, the bench's mask), `interceptor`
 * (the capture interceptor's two hooks through the chain), `record` (a
 * record written through the record writer into a SQLite store, flushed in
 * batches as in the gateway). Rounds interleave the parts; the median
 * CPU µs per call of each is printed, and the smallest.
 */
import { randomUUIDv7 } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { InterceptContext } from '../src/mcp/intercept/interceptor.ts';
import type * as Chain from '../src/mcp/intercept/interceptor-chain.ts';
import type { JsonRpcRequest, JsonRpcResponse } from '../src/mcp/json-rpc.ts';
import type * as StoreFactory from '../src/store/create-store.ts';
import type { ServerDefinition } from '../src/store/model.ts';
import type * as Capture from '../src/telemetry/capture-interceptor.ts';
import type * as Writer from '../src/telemetry/record-writer.ts';
import type * as Redaction from '../src/telemetry/redaction.ts';
import type { RequestRecord } from '../src/telemetry/request-record.ts';
import { ECHO_TEXT, TOOLS_CALL_BODY } from './mcp-session.ts';

const MASKS = ['arguments.token'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

// What capture `full` stores for the bench's echo call.
const CAPTURED_ARGUMENTS = JSON.stringify({ text: ECHO_TEXT });
const CAPTURED_RESULT = JSON.stringify({
  content: [{ type: 'text', text: ECHO_TEXT }],
  isError: false,
});

function recordFor(captured: boolean): RequestRecord {
  return {
    // The gateway's request ids are UUIDv7: each insert lands at the end of the primary key.
    id: randomUUIDv7(),
    time: new Date(),
    workspaceId: 'bench',
    serverId: 'echo',
    principalKind: 'api_key',
    principalId: 'member-1',
    apiKeyId: 'key-1',
    clientId: null,
    clientName: 'portcullis-bench',
    clientVersion: '1.0.0',
    method: 'tools/call',
    target: 'echo',
    era: 'legacy',
    protocolVersion: '2025-11-25',
    sessionTag: 'tag',
    latencyMs: 1.25,
    upstreamLatencyMs: 0.5,
    status: 'ok',
    httpStatus: 200,
    errorCode: null,
    errorMessage: null,
    bytesIn: 119,
    bytesOut: 120,
    arguments: captured ? CAPTURED_ARGUMENTS : null,
    result: captured ? CAPTURED_RESULT : null,
    traceId: null,
  };
}

const response = (id: JsonRpcRequest['id']): JsonRpcResponse => ({
  jsonrpc: '2.0',
  id,
  result: { content: [{ type: 'text', text: ECHO_TEXT }], isError: false },
});

type Part = () => Promise<void> | void;

interface Checkout {
  readonly parts: Record<string, Part>;
  close(): Promise<void>;
}

/** The timed parts, built from the `src` of the checkout at `root`. */
async function checkoutParts(root: string, calls: number, dir: string): Promise<Checkout> {
  const load = <T>(file: string): Promise<T> =>
    import(pathToFileURL(path.join(root, 'src', file)).href) as Promise<T>;
  const { passRequest, passResponse } = await load<typeof Chain>(
    'mcp/intercept/interceptor-chain.ts',
  );
  const { createStore } = await load<typeof StoreFactory>('store/create-store.ts');
  const { createCaptureInterceptors } = await load<typeof Capture>(
    'telemetry/capture-interceptor.ts',
  );
  const { createRecordWriter } = await load<typeof Writer>('telemetry/record-writer.ts');
  const { createRedactor } = await load<typeof Redaction>('telemetry/redaction.ts');
  const redact = createRedactor({ maxBytes: 64 * 1024 });
  const server = { capture: { mode: 'full', masks: MASKS } } as unknown as ServerDefinition;
  const interceptors = await createCaptureInterceptors(redact).interceptorsFor(
    server,
    undefined as never,
  );
  const store = await createStore({
    kind: 'sqlite',
    file: path.join(dir, `${path.basename(root)}.sqlite`),
  });
  await store.migrate();
  const writer = createRecordWriter({ store, queueSize: 100_000 });

  const parts: Record<string, Part> = {
    redact() {
      for (let i = 0; i < calls; i++) {
        const request = JSON.parse(TOOLS_CALL_BODY) as JsonRpcRequest;
        const secrets = new Set<string>();
        redact('arguments', request.params!.arguments, MASKS, secrets);
        redact('result', response(request.id).result, MASKS, secrets);
      }
    },
    // The capture interceptor through the chain, its redaction included.
    async interceptor() {
      for (let i = 0; i < calls; i++) {
        const request = JSON.parse(TOOLS_CALL_BODY) as JsonRpcRequest;
        const context = { record: recordFor(false) } as unknown as InterceptContext;
        const passage = await passRequest(interceptors, request, context);
        await passResponse(interceptors, passage, response(request.id), context);
      }
    },
    async record() {
      for (let i = 0; i < calls; i++) {
        writer.write(recordFor(true));
        // The gateway yields to the loop between requests; the writer drains there.
        if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
      }
      await writer.flush();
    },
  };
  return {
    parts,
    async close() {
      await writer.close();
      await store.close();
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      calls: { type: 'string', default: '20000' },
      against: { type: 'string' },
    },
  });
  const rounds = Number(values.rounds);
  const calls = Number(values.calls);
  const dir = mkdtempSync(path.join(tmpdir(), 'capture-cost-'));
  const roots: Record<string, string> = { this: path.resolve(import.meta.dirname, '..') };
  if (values.against !== undefined) roots.against = path.resolve(values.against);
  const checkouts = new Map<string, Checkout>();
  for (const [label, root] of Object.entries(roots))
    checkouts.set(label, await checkoutParts(root, calls, dir));

  const timings = new Map<string, number[]>();
  for (let round = 0; round <= rounds; round++) {
    // The checkout timed second in a round measured up to 1 µs cheaper with
    // identical code (the first one leaves it warm caches): alternate.
    const order = round % 2 === 0 ? [...checkouts] : [...checkouts].reverse();
    for (const name of Object.keys(checkouts.get('this')!.parts)) {
      for (const [label, checkout] of order) {
        // CPU time, not wall time: other load on the machine delays a part, it does not make it cost more.
        const start = process.cpuUsage();
        await checkout.parts[name]!();
        const used = process.cpuUsage(start);
        const micros = (used.user + used.system) / calls;
        // Round 0 warms the JIT and the database files.
        if (round === 0) continue;
        const key = `${name} (${label})`;
        timings.set(key, [...(timings.get(key) ?? []), micros]);
      }
    }
  }
  for (const [key, list] of timings)
    console.log(
      `${key.padEnd(24)} ${median(list).toFixed(2).padStart(7)} CPU µs/call, min ${Math.min(...list).toFixed(2)}  (rounds: ${list.map((v) => v.toFixed(1)).join(' ')})`,
    );
  for (const checkout of checkouts.values()) await checkout.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
