/**
 * Era bridging through a real gateway: the SDK v2 client (and raw requests where the wire
 * matters) in one protocol era, the fixture upstream forced to the other. A recording proxy
 * between gateway and fixture shows what the upstream leg carried.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import type { FixtureEra, RunningFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { resultText as text } from '../support/sdk-client.ts';
import { startRecordingProxy } from '../support/recording-proxy.ts';
import type { RunningRecordingProxy } from '../support/recording-proxy.ts';

interface Message {
  jsonrpc: '2.0';
  id?: unknown;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

/** Reads a nested field of parsed JSON; undefined when any step is missing. */
function at(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path)
    current =
      typeof current === 'object' && current !== null
        ? (current as Record<string, unknown>)[key]
        : undefined;
  return current;
}

const MODERN = '2026-07-28';
const capabilities = { elicitation: { form: {} }, sampling: {}, roots: {} };

interface Bridged {
  fixture: RunningFixtureServer;
  recorder: RunningRecordingProxy;
  gateway: TestGateway;
  close(): Promise<void>;
}

async function startBridged(era: FixtureEra, env: Record<string, string> = {}): Promise<Bridged> {
  const fixture = await startFixtureServer({ era });
  const recorder = await startRecordingProxy(fixture.url);
  const gateway = await startTestGateway({
    servers: [{ id: 'fixture', url: recorder.url }],
    env,
  });
  return {
    fixture,
    recorder,
    gateway,
    async close() {
      await gateway.close();
      await recorder.close();
      await fixture.close();
    },
  };
}

async function connect(
  gateway: TestGateway,
  mode: 'legacy' | { pin: string },
  name = 'bridge-test',
): Promise<Client> {
  const client = new Client(
    { name, version: '1.0.0' },
    { capabilities, versionNegotiation: { mode } },
  );
  client.setRequestHandler('elicitation/create', async (request) => {
    const content: Record<string, string | boolean> = request.params.message.includes('color')
      ? { color: 'teal' }
      : { username: 'ada', email: 'ada@example.test', name: 'Ada', ok: true };
    return { action: 'accept', content };
  });
  client.setRequestHandler('sampling/createMessage', async () => ({
    role: 'assistant',
    content: { type: 'text', text: 'sampled' },
    model: 'test-model',
  }));
  client.setRequestHandler('roots/list', async () => ({
    roots: [{ uri: 'file:///work', name: 'work' }],
  }));
  await client.connect(
    new StreamableHTTPClientTransport(new URL(gateway.endpoint('fixture')), {
      requestInit: { headers: { authorization: `Bearer ${gateway.apiKey}` } },
    }),
  );
  return client;
}

/** Reads `Message`s from an SSE or JSON response, as they arrive. */
async function* messagesOf(response: Response): AsyncGenerator<Message> {
  if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    yield (await response.json()) as Message;
    return;
  }
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffered += value;
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = event
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (data !== '') yield JSON.parse(data) as Message;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

async function all(response: Response): Promise<Message[]> {
  const out: Message[] = [];
  for await (const message of messagesOf(response)) out.push(message);
  return out;
}

let nextId = 1;

interface PostOptions {
  meta?: Record<string, unknown>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A raw 2026-07-28 request, with the envelope and standard headers a modern client sends. */
function modernPost(
  gateway: TestGateway,
  method: string,
  params: Record<string, unknown> = {},
  options: PostOptions = {},
): Promise<Response> {
  const name = typeof params.name === 'string' ? params.name : params.uri;
  return fetch(gateway.endpoint('fixture'), {
    method: 'POST',
    signal: options.signal,
    headers: {
      authorization: `Bearer ${gateway.apiKey}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(typeof name === 'string' ? { 'mcp-name': name } : {}),
      ...options.headers,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: nextId++,
      method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': MODERN,
          'io.modelcontextprotocol/clientCapabilities': capabilities,
          'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
          ...options.meta,
        },
      },
    }),
  });
}

async function answer(response: Response): Promise<Message> {
  const messages = await all(response);
  return messages[messages.length - 1]!;
}

/** Fails instead of hanging. */
function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > 5000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('2026-07-28 client → gateway → 2025-only upstream', () => {
  let bridged: Bridged;
  before(async () => {
    bridged = await startBridged('legacy');
  });
  after(() => bridged?.close());

  const post = (method: string, params: Record<string, unknown> = {}, options: PostOptions = {}) =>
    modernPost(bridged.gateway, method, params, options);

  it('answers server/discover from the upstream InitializeResult', async () => {
    const { result } = await answer(await post('server/discover'));
    assert.deepEqual(result?.supportedVersions, [MODERN]);
    assert.equal(
      at(result, '_meta', 'io.modelcontextprotocol/serverInfo', 'name'),
      'portcullis-fixture-server',
    );
    assert.ok(at(result, 'capabilities', 'tools'));
    assert.match(String(result?.instructions), /Conformance fixture/);
    assert.equal(result?.cacheScope, 'private');
  });

  it('completes results with resultType, caching hints and serverInfo', async () => {
    const { result } = await answer(await post('tools/list'));
    assert.equal(result?.resultType, 'complete');
    assert.equal(result?.ttlMs, 0);
    assert.equal(result?.cacheScope, 'private');
    assert.ok(Array.isArray(result?.tools));
    const called = await answer(
      await post('tools/call', { name: 'test_simple_text', arguments: {} }),
    );
    assert.equal(called.result?.resultType, 'complete');
    assert.equal(called.result?.ttlMs, undefined);
  });

  it('refuses a protocol version other than 2026-07-28 as a modern server would', async () => {
    const version = 'v999.0.0';
    const response = await post(
      'server/discover',
      {},
      {
        meta: { 'io.modelcontextprotocol/protocolVersion': version },
        headers: { 'mcp-protocol-version': version },
      },
    );
    assert.equal(response.status, 400);
    const { error } = await answer(response);
    assert.equal(error?.code, -32022);
    assert.equal(at(error?.data, 'requested'), version);
    assert.ok(String(at(error?.data, 'supported')).includes(MODERN));
  });

  it('answers the methods 2026-07-28 removed, and unknown ones, with 404 / -32601', async () => {
    for (const method of [
      'ping',
      'initialize',
      'logging/setLevel',
      'resources/subscribe',
      'no/such',
    ]) {
      const response = await post(
        method,
        method === 'resources/subscribe' ? { uri: 'test://x' } : {},
      );
      assert.equal(response.status, 404, method);
      assert.equal((await answer(response)).error?.code, -32601, method);
    }
  });

  it('routes elicitation, sampling and roots through input_required to the held upstream call', async () => {
    const client = await connect(bridged.gateway, { pin: MODERN });
    try {
      assert.match(
        text(await client.callTool({ name: 'test_elicitation', arguments: { message: 'who?' } })),
        /ada/,
      );
      assert.match(
        text(await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } })),
        /sampled/,
      );
      assert.match(
        text(
          await client.callTool({
            name: 'test_input_required_result_multiple_inputs',
            arguments: {},
          }),
        ),
        /All inputs received/,
      );
      assert.match(
        text(
          await client.callTool({ name: 'test_input_required_result_multi_round', arguments: {} }),
        ),
        /teal/,
      );
    } finally {
      await client.close();
    }
  });

  it('honours only its own sealed requestState, once, for the request it was issued for', async () => {
    const params = { name: 'test_input_required_result_request_state', arguments: {} };
    const first = (await answer(await post('tools/call', params))).result!;
    assert.equal(first.resultType, 'input_required');
    const state = String(first.requestState);
    const [key] = Object.keys(first.inputRequests as object);
    const inputResponses = { [key!]: { action: 'accept', content: { ok: true } } };
    const retry = (extra: Record<string, unknown>, state: string) =>
      post('tools/call', { ...params, ...extra, inputResponses, requestState: state });

    assert.equal((await answer(await retry({}, `${state}x`))).error?.code, -32602);
    assert.equal(
      (await answer(await retry({ arguments: { other: 1 } }, state))).error?.code,
      -32602,
    );
    const done = await answer(await retry({}, state));
    assert.match(text(done.result), /state-ok: confirmed=true/);
    assert.equal((await answer(await retry({}, state))).error?.code, -32602);
  });

  it('sends log messages only to requests that asked for them, at their level', async () => {
    const call = { name: 'test_tool_with_logging', arguments: {} };
    const quiet = await all(await post('tools/call', call));
    assert.equal(quiet.filter((m) => m.method === 'notifications/message').length, 0);
    const loud = await all(
      await post('tools/call', call, { meta: { 'io.modelcontextprotocol/logLevel': 'info' } }),
    );
    assert.equal(loud.filter((m) => m.method === 'notifications/message').length, 3);
    const errorsOnly = await all(
      await post('tools/call', call, { meta: { 'io.modelcontextprotocol/logLevel': 'error' } }),
    );
    assert.equal(errorsOnly.filter((m) => m.method === 'notifications/message').length, 0);
  });

  it('runs every request declaring the same capabilities on one pooled upstream session', async () => {
    const clientInfo = { name: 'pool-check', version: '1' };
    for (let i = 0; i < 3; i++)
      await answer(
        await post(
          'tools/call',
          { name: 'test_simple_text', arguments: {} },
          {
            meta: { 'io.modelcontextprotocol/clientInfo': clientInfo },
          },
        ),
      );
    const initializes = bridged.recorder
      .messages()
      .filter(
        (m) => m.method === 'initialize' && at(m.params, 'clientInfo', 'name') === 'pool-check',
      );
    assert.equal(initializes.length, 1);
    assert.equal(initializes[0]!.params?.protocolVersion, '2025-11-25');
  });

  it('validates Mcp-Param headers against x-mcp-header arguments itself', async () => {
    const call = { name: 'test_custom_headers', arguments: { region: 'eu-west' } };
    const ok = await post('tools/call', call, { headers: { 'mcp-param-region': 'eu-west' } });
    assert.match(text((await answer(ok)).result), /region=eu-west/);
    const missing = await post('tools/call', call);
    assert.equal(missing.status, 400);
    assert.equal((await answer(missing)).error?.code, -32020);
  });

  it('bridges subscriptions/listen onto a GET stream of its own, acknowledged first, tagged, filtered', async () => {
    const controller = new AbortController();
    const listen = await post(
      'subscriptions/listen',
      { notifications: { toolsListChanged: true } },
      { signal: controller.signal },
    );
    const frames = messagesOf(listen);
    const ack = (await within(frames.next(), 'the acknowledgement')).value as Message;
    assert.equal(ack.method, 'notifications/subscriptions/acknowledged');
    assert.deepEqual(ack.params?.notifications, { toolsListChanged: true });
    const subscriptionId = at(ack.params, '_meta', 'io.modelcontextprotocol/subscriptionId');
    assert.ok(subscriptionId !== undefined);

    await answer(await post('tools/call', { name: 'test_trigger_prompt_change', arguments: {} }));
    await answer(await post('tools/call', { name: 'test_trigger_tool_change', arguments: {} }));
    const changed = (await within(frames.next(), 'tools/list_changed')).value as Message;
    assert.equal(changed.method, 'notifications/tools/list_changed');
    assert.equal(
      at(changed.params, '_meta', 'io.modelcontextprotocol/subscriptionId'),
      subscriptionId,
    );

    const before = bridged.fixture.legacySessionCount();
    controller.abort();
    await eventually(
      () => bridged.fixture.legacySessionCount() === before - 1,
      'the listen stream’s upstream session to end',
    );
  });

  it('cancels the upstream call, by its upstream id, when the client closes the stream', async () => {
    const controller = new AbortController();
    const response = await post(
      'tools/call',
      { name: 'test_tool_with_progress', arguments: {} },
      { meta: { progressToken: 'cancel-me' }, signal: controller.signal },
    );
    const frames = messagesOf(response);
    const progress = (await within(frames.next(), 'progress')).value as Message;
    assert.equal(progress.params?.progressToken, 'cancel-me');
    controller.abort();
    const upstreamCall = bridged.recorder
      .messages()
      .find(
        (m) => m.method === 'tools/call' && at(m.params, '_meta', 'progressToken') === 'cancel-me',
      );
    assert.ok(upstreamCall);
    await eventually(
      () =>
        bridged.recorder
          .messages()
          .some(
            (m) =>
              m.method === 'notifications/cancelled' && m.params?.requestId === upstreamCall.id,
          ),
      'notifications/cancelled upstream',
    );
  });
});

describe('2025 client → gateway → 2026-07-28-only upstream', () => {
  let bridged: Bridged;
  before(async () => {
    bridged = await startBridged('modern');
  });
  after(() => bridged?.close());

  const upstreamPosts = (method: string) =>
    bridged.recorder.messages().filter((m) => m.method === method);

  it('answers initialize from server/discover, paying one refused initialize per era horizon', async () => {
    for (let i = 0; i < 3; i++) {
      const client = await connect(bridged.gateway, 'legacy');
      assert.equal(client.getServerVersion()?.name, 'portcullis-fixture-server');
      assert.ok(client.getServerCapabilities()?.tools);
      assert.match(String(client.getInstructions()), /Conformance fixture/);
      await client.close();
    }
    assert.equal(upstreamPosts('initialize').length, 1);
  });

  it('sends requests as modern requests: the session’s envelope and the standard headers', async () => {
    const client = await connect(bridged.gateway, 'legacy', 'envelope-check');
    try {
      await client.callTool({ name: 'test_simple_text', arguments: {} });
      const exchange = bridged.recorder.exchanges.findLast(
        (e) => (e.body as Message | undefined)?.method === 'tools/call',
      )!;
      const meta = at(exchange.body, 'params', '_meta');
      assert.equal(at(meta, 'io.modelcontextprotocol/protocolVersion'), MODERN);
      assert.deepEqual(at(meta, 'io.modelcontextprotocol/clientCapabilities'), capabilities);
      assert.equal(at(meta, 'io.modelcontextprotocol/clientInfo', 'name'), 'envelope-check');
      assert.equal(exchange.headers['mcp-protocol-version'], MODERN);
      assert.equal(exchange.headers['mcp-method'], 'tools/call');
      assert.equal(exchange.headers['mcp-name'], 'test_simple_text');
      assert.equal(exchange.headers['mcp-session-id'], undefined);
    } finally {
      await client.close();
    }
  });

  it('plays input_required rounds to the client as server→client requests', async () => {
    const client = await connect(bridged.gateway, 'legacy');
    try {
      assert.match(
        text(await client.callTool({ name: 'test_elicitation', arguments: { message: 'who?' } })),
        /ada/,
      );
      assert.match(
        text(await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } })),
        /sampled/,
      );
      assert.match(
        text(
          await client.callTool({ name: 'test_input_required_result_list_roots', arguments: {} }),
        ),
        /file:\/\/\/work/,
      );
      // Two rounds: the second retry must echo the upstream's requestState byte for byte.
      assert.match(
        text(
          await client.callTool({ name: 'test_input_required_result_multi_round', arguments: {} }),
        ),
        /teal/,
      );
      const retries = upstreamPosts('tools/call').filter(
        (m) => m.params?.name === 'test_input_required_result_multi_round',
      );
      assert.equal(retries.length, 3);
      assert.equal(typeof retries[2]!.params?.requestState, 'string');
    } finally {
      await client.close();
    }
  });

  it('takes the modern-only fields out of results', async () => {
    const endpoint = bridged.gateway.endpoint('fixture');
    const headers = {
      authorization: `Bearer ${bridged.gateway.apiKey}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const init = await fetch(endpoint, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    });
    const session = init.headers.get('mcp-session-id')!;
    assert.ok(session);
    const listed = await fetch(endpoint, {
      method: 'POST',
      headers: { ...headers, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'resources/read',
        params: { uri: 'test://static-text' },
      }),
    });
    const [answer] = await all(listed);
    assert.equal(answer?.id, 2);
    assert.ok(Array.isArray(answer?.result?.contents));
    for (const field of ['resultType', 'ttlMs', 'cacheScope', '_meta'])
      assert.equal(answer?.result?.[field], undefined, field);
  });

  it('answers ping and logging/setLevel itself and sends the level as each request’s logLevel', async () => {
    const client = await connect(bridged.gateway, 'legacy');
    try {
      const logs: unknown[] = [];
      client.setNotificationHandler('notifications/message', (notification) => {
        logs.push(notification.params);
      });
      await client.ping();
      await client.setLoggingLevel('info');
      await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
      assert.equal(logs.length, 3);
      assert.equal(upstreamPosts('ping').length, 0);
      assert.equal(upstreamPosts('logging/setLevel').length, 0);
      const call = upstreamPosts('tools/call').findLast(
        (m) => m.params?.name === 'test_tool_with_logging',
      );
      assert.equal(at(call?.params, '_meta', 'io.modelcontextprotocol/logLevel'), 'info');
    } finally {
      await client.close();
    }
  });

  it('mirrors x-mcp-header arguments into Mcp-Param headers the 2025 client never sends', async () => {
    const client = await connect(bridged.gateway, 'legacy');
    try {
      const result = await client.callTool({
        name: 'test_custom_headers',
        arguments: { region: 'zürich' },
      });
      assert.equal(text(result), 'region=zürich');
      const exchange = bridged.recorder.exchanges.findLast(
        (e) => (e.body as Message | undefined)?.params?.name === 'test_custom_headers',
      )!;
      assert.equal(
        exchange.headers['mcp-param-region'],
        `=?base64?${Buffer.from('zürich').toString('base64')}?=`,
      );
    } finally {
      await client.close();
    }
  });

  it('turns resources/subscribe and the GET stream into subscriptions/listen upstream', async () => {
    const client = await connect(bridged.gateway, 'legacy');
    try {
      const updated: string[] = [];
      const changed: string[] = [];
      client.setNotificationHandler('notifications/resources/updated', (notification) => {
        updated.push(notification.params.uri);
      });
      client.setNotificationHandler('notifications/tools/list_changed', () => {
        changed.push('tools');
      });
      await client.subscribeResource({ uri: 'test://watched-resource' });
      // The GET stream's upstream listen is replaced by one that includes the URI; until that
      // one is acknowledged upstream an update may find no subscriber, so trigger until one lands.
      for (let attempt = 0; updated.length === 0 || changed.length === 0; attempt++) {
        assert.ok(attempt < 50, 'the notifications arrive');
        await client.callTool({ name: 'test_trigger_resource_updated', arguments: {} });
        await client.callTool({ name: 'test_trigger_tool_change', arguments: {} });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(
        upstreamPosts('subscriptions/listen').some((m) =>
          String(at(m.params, 'notifications', 'resourceSubscriptions')).includes(
            'test://watched-resource',
          ),
        ),
      );
      assert.deepEqual([...new Set(updated)], ['test://watched-resource']);
      assert.equal(upstreamPosts('resources/subscribe').length, 0);
    } finally {
      await client.close();
    }
  });

  it('cancels the upstream request when the client sends notifications/cancelled', async () => {
    const client = await connect(bridged.gateway, 'legacy');
    try {
      const controller = new AbortController();
      let cancelled = false;
      const call = client
        .callTool(
          { name: 'test_tool_with_progress', arguments: {} },
          { signal: controller.signal, onprogress: () => controller.abort() },
        )
        .catch(() => (cancelled = true));
      await within(call, 'the cancelled call');
      assert.ok(cancelled);
      await eventually(
        () =>
          bridged.recorder.exchanges.some(
            (e) =>
              (e.body as Message | undefined)?.params?.name === 'test_tool_with_progress' &&
              e.abandoned,
          ),
        'the upstream request to be closed',
      );
    } finally {
      await client.close();
    }
  });
});

describe('clients that never give the input the upstream asked for', () => {
  let legacyUpstream: Bridged;
  let modernUpstream: Bridged;
  const env = { PORTCULLIS_CLIENT_REQUEST_TIMEOUT_MS: '300' };
  before(async () => {
    legacyUpstream = await startBridged('legacy', env);
    modernUpstream = await startBridged('modern', env);
  });
  after(async () => {
    await legacyUpstream?.close();
    await modernUpstream?.close();
  });

  it('cancel the held upstream call when a 2026-07-28 client never retries', async () => {
    const params = { name: 'test_elicitation', arguments: { message: 'anyone?' } };
    const first = await answer(await modernPost(legacyUpstream.gateway, 'tools/call', params));
    assert.equal(first.result?.resultType, 'input_required');
    const upstreamCall = legacyUpstream.recorder
      .messages()
      .find((m) => m.method === 'tools/call' && at(m.params, 'name') === 'test_elicitation');
    await eventually(
      () =>
        legacyUpstream.recorder
          .messages()
          .some(
            (m) =>
              m.method === 'notifications/cancelled' &&
              at(m.params, 'requestId') === upstreamCall?.id,
          ),
      'notifications/cancelled upstream',
    );
    const late = await modernPost(legacyUpstream.gateway, 'tools/call', {
      ...params,
      inputResponses: { 'elicitation-1': { action: 'accept', content: {} } },
      requestState: first.result?.requestState,
    });
    assert.equal((await answer(late)).error?.code, -32602);
  });

  it('fail the call with a timeout when a 2025 client never answers the server’s request', async () => {
    const client = new Client(
      { name: 'silent', version: '1.0.0' },
      { capabilities, versionNegotiation: { mode: 'legacy' } },
    );
    client.setRequestHandler('elicitation/create', () => new Promise(() => {}));
    await client.connect(
      new StreamableHTTPClientTransport(new URL(modernUpstream.gateway.endpoint('fixture')), {
        requestInit: { headers: { authorization: `Bearer ${modernUpstream.gateway.apiKey}` } },
      }),
    );
    try {
      await assert.rejects(
        within(
          client.callTool({ name: 'test_elicitation', arguments: { message: 'anyone?' } }),
          'the timed-out call',
        ),
        (error: { code?: number }) => error.code === -32004,
      );
    } finally {
      await client.close();
    }
  });
});
