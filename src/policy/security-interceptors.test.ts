import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '../auth/resource/principal.ts';
import type {
  InterceptContext,
  Interceptor,
  RequestVerdict,
} from '../mcp/intercept/interceptor.ts';
import type { JsonObject, JsonRpcRequest, JsonRpcResponse } from '../mcp/json-rpc.ts';
import { META } from '../session/protocol-version.ts';
import { createSealedBox } from '../session/sealed-box.ts';
import type { Member, ServerDefinition } from '../store/model.ts';
import type { RequestRecord } from '../telemetry/request-record.ts';
import { CONFIRM_KEY, createConfirmation } from './confirmation.ts';
import { securityPolicySchema } from './security-policy.ts';
import { createSecurityInterceptors } from './security-interceptors.ts';
import type { SecurityDocument } from './security-interceptors.ts';
import { createToolCatalogue } from './security-tool-catalogue.ts';

const server: ServerDefinition = {
  workspaceId: 'acme',
  id: 'files',
  name: 'Files',
  transport: 'http',
  url: 'http://127.0.0.1:9/mcp',
  command: null,
  args: [],
  env: {},
  cwd: null,
  timeoutMs: 30_000,
  upstreamAuth: { mode: 'none', forwardIdentity: false },
  createdAt: new Date(0),
  updatedAt: new Date(0),
};

const alice: Principal = {
  kind: 'user',
  id: 'alice:client',
  userId: 'alice',
  workspaceId: null,
  apiKeyId: null,
  clientId: 'client',
};

const TOOLS = [
  { name: 'read_file', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  {
    name: 'write_file',
    inputSchema: { type: 'object', properties: { path: { type: 'string' } } },
    annotations: { readOnlyHint: false, destructiveHint: true },
  },
  { name: 'append_log', inputSchema: { type: 'object' }, annotations: { destructiveHint: false } },
  { name: 'bare', inputSchema: { type: 'object' } },
];

let nextId = 0;
const call = (name: string, args: JsonObject = {}, extra: JsonObject = {}): JsonRpcRequest => ({
  jsonrpc: '2.0',
  id: ++nextId,
  method: 'tools/call',
  params: { name, arguments: args, ...extra },
});
const MODERN_META = { [META.protocolVersion]: '2026-07-28' };
/** A call in the 2026-07-28 shape (what MRTR confirmation answers). */
const modernCall = (name: string, args: JsonObject = {}, extra: JsonObject = {}) =>
  call(name, args, { ...extra, _meta: MODERN_META });
const list = (): JsonRpcRequest => ({ jsonrpc: '2.0', id: ++nextId, method: 'tools/list' });

function context(overrides: Partial<InterceptContext> & { ask?: unknown } = {}): InterceptContext {
  return {
    server,
    principal: alice,
    record: {} as RequestRecord,
    era: 'modern',
    clientCapabilities: { elicitation: {} },
    ...overrides,
  };
}

async function setup(
  section: unknown,
  options: { role?: Member['role']; document?: Partial<SecurityDocument> } = {},
) {
  const box = createSealedBox('security-interceptors-test-key-of-enough-length');
  const catalogue = createToolCatalogue();
  const source = createSecurityInterceptors({
    policyOf: () => ({ security: securityPolicySchema.parse(section), ...options.document }),
    members: {
      find: () =>
        options.role === undefined
          ? undefined
          : { workspaceId: 'acme', userId: 'alice', role: options.role, serverIds: null },
    },
    catalogue,
    confirmation: createConfirmation({ box }),
  });
  const interceptors = (await source.interceptorsFor(server, alice)) as Interceptor[];
  const interceptor = interceptors[0]!;
  const listTools = async () => {
    const request = list();
    const response: JsonRpcResponse = { jsonrpc: '2.0', id: request.id, result: { tools: TOOLS } };
    return (await interceptor.onResponse!(response, request, context())).result!
      .tools as JsonObject[];
  };
  return {
    interceptors,
    security: interceptor,
    box,
    listTools,
    request: (message: JsonRpcRequest, ctx = context()) => interceptor.onRequest!(message, ctx),
  };
}

function refusal(verdict: RequestVerdict): JsonRpcResponse['error'] {
  assert.equal(verdict.kind, 'answer');
  return verdict.message.error;
}

describe('security policy document', () => {
  it('refuses bad sections with issues naming the field', () => {
    for (const [bad, path] of [
      [{ timeout_ms: 5 }, 'timeout_ms'],
      [{ max_request_bytes: -1 }, 'max_request_bytes'],
      [{ read_only: 'yes' }, 'read_only'],
      [{ unknown: 1 }, ''],
      [{ tools: { x: { read_only: true } } }, 'tools.x'],
      [{ tools: { x: { argument_constraints: { intern: {} } } } }, 'tools.x.argument_constraints'],
      [
        { tools: { x: { argument_constraints: { member: { type: 'strin' } } } } },
        'tools.x.argument_constraints.member',
      ],
    ] as const) {
      const parsed = securityPolicySchema.safeParse(bad);
      assert.equal(parsed.success, false, JSON.stringify(bad));
      assert.ok(
        parsed.error.issues.some((issue) => issue.path.join('.').startsWith(path)),
        `${JSON.stringify(bad)}: ${JSON.stringify(parsed.error.issues)}`,
      );
    }
  });
});

describe('security interceptors', () => {
  it('gives no interceptor to a server without a security section, or an empty one', async () => {
    const source = createSecurityInterceptors({
      policyOf: () => ({ security: {} }),
      members: { find: () => undefined },
      catalogue: createToolCatalogue(),
      confirmation: createConfirmation({ box: createSealedBox('x'.repeat(40)) }),
    });
    assert.deepEqual(await source.interceptorsFor(server, alice), []);
  });

  it('read-only: lists only tools annotated readOnlyHint and refuses the others as unknown', async () => {
    const { listTools, request } = await setup({ read_only: true });
    assert.deepEqual(
      (await listTools()).map((tool) => tool.name),
      ['read_file'],
    );
    assert.equal((await request(call('read_file'))).kind, 'forward');
    for (const name of ['write_file', 'append_log', 'bare', 'never_listed'])
      assert.deepEqual(refusal(await request(call(name))), {
        code: -32602,
        message: `Tool ${name} not found`,
      });
  });

  it('read-only: judges a tool this instance has not listed by its stored definition', async () => {
    const stored = new Map([['read_file', TOOLS[0]!]]);
    const source = createSecurityInterceptors({
      policyOf: () => ({ security: { read_only: true } }),
      members: { find: () => undefined },
      catalogue: createToolCatalogue(),
      storedTool: async (_server, name) => stored.get(name),
      confirmation: createConfirmation({ box: createSealedBox('y'.repeat(40)) }),
    });
    const [interceptor] = (await source.interceptorsFor(server, alice)) as Interceptor[];
    assert.equal((await interceptor!.onRequest!(call('read_file'), context())).kind, 'forward');
    assert.equal((await interceptor!.onRequest!(call('write_file'), context())).kind, 'answer');
  });

  it('read-only: an admin annotation override makes a tool read-only', async () => {
    const { listTools, request } = await setup(
      { read_only: true },
      { document: { tools: { bare: { annotations: { readOnlyHint: true } } } } },
    );
    assert.deepEqual(
      (await listTools()).map((tool) => tool.name),
      ['read_file', 'bare'],
    );
    assert.equal((await request(call('bare'))).kind, 'forward');
  });

  it('refuses a request over max_request_bytes with message_too_large, per tool override first', async () => {
    const { request } = await setup({
      max_request_bytes: 200,
      tools: { write_file: { max_request_bytes: 2000 } },
    });
    const big = { text: 'x'.repeat(500) };
    const error = refusal(await request(call('read_file', big)));
    assert.equal(error?.code, -32600);
    assert.match(error.message, /"read_file" accepts at most 200/);
    assert.equal((error?.data as JsonObject).reason, 'message_too_large');
    assert.equal((await request(call('write_file', big))).kind, 'forward');
    assert.equal((await request(call('read_file', { text: 'small' }))).kind, 'forward');
  });

  it('replaces an answer over max_response_bytes with response_too_large', async () => {
    const { security } = await setup({ max_response_bytes: 100 });
    const request = call('read_file');
    const small: JsonRpcResponse = { jsonrpc: '2.0', id: request.id, result: { content: [] } };
    assert.deepEqual(await security.onResponse!(small, request, context()), small);
    const big: JsonRpcResponse = {
      jsonrpc: '2.0',
      id: request.id,
      result: { content: [{ type: 'text', text: 'y'.repeat(1000) }] },
    };
    const replaced = await security.onResponse!(big, request, context());
    assert.equal(replaced.id, request.id);
    assert.equal(replaced.result, undefined);
    assert.equal(replaced.error?.code, -32001);
    assert.match(replaced.error.message, /"read_file" may return at most 100/);
  });

  it('sets the per-tool timeout on the forwarded call, the server-wide one elsewhere', async () => {
    const { request } = await setup({
      timeout_ms: 5000,
      tools: { read_file: { timeout_ms: 250 } },
    });
    const verdict = await request(call('read_file'));
    assert.equal(verdict.kind === 'forward' && verdict.timeoutMs, 250);
    const other = await request(list());
    assert.equal(other.kind === 'forward' && other.timeoutMs, 5000);
  });

  it('argument constraints: narrowed schema in tools/list and -32602 on a call outside it, for that role only', async () => {
    const constraint = { properties: { path: { type: 'string', pattern: '^/srv/' } } };
    const security = { tools: { write_file: { argument_constraints: { member: constraint } } } };
    const member = await setup(security, { role: 'member' });
    const listed = (await member.listTools()).find((tool) => tool.name === 'write_file')!;
    assert.deepEqual(listed.inputSchema, {
      type: 'object',
      properties: { path: { type: 'string' } },
      allOf: [constraint],
    });
    const error = refusal(await member.request(call('write_file', { path: '/etc/passwd' })));
    assert.equal(error?.code, -32602);
    assert.match(error.message, /arguments\.path must match pattern "\^\/srv\/"/);
    assert.equal((await member.request(call('write_file', { path: '/srv/a' }))).kind, 'forward');

    const owner = await setup(security, { role: 'owner' });
    const ownerListed = (await owner.listTools()).find((tool) => tool.name === 'write_file')!;
    assert.equal((ownerListed.inputSchema as JsonObject).allOf, undefined);
    assert.equal(
      (await owner.request(call('write_file', { path: '/etc/passwd' }))).kind,
      'forward',
    );
  });

  it('argument constraints: "*" applies to every role without its own', async () => {
    const security = {
      tools: {
        write_file: {
          argument_constraints: {
            '*': { required: ['path'] },
            admin: { properties: {} },
          },
        },
      },
    };
    const viewer = await setup(security, { role: 'viewer' });
    assert.equal((await viewer.request(call('write_file', {}))).kind, 'answer');
    const admin = await setup(security, { role: 'admin' });
    assert.equal((await admin.request(call('write_file', {}))).kind, 'forward');
  });
});

describe('confirmation of destructive tools', () => {
  const confirming = { confirm_destructive: true };

  it('asks only for destructive tools: not read-only ones nor destructiveHint false', async () => {
    const { listTools, request } = await setup(confirming);
    await listTools();
    assert.equal((await request(call('read_file'))).kind, 'forward');
    assert.equal((await request(call('append_log'))).kind, 'forward');
    assert.equal((await request(call('write_file'))).kind, 'answer');
    assert.equal((await request(call('bare'))).kind, 'answer', 'no annotations: destructive');
    assert.equal((await request(call('never_listed'))).kind, 'answer', 'unknown: destructive');
  });

  it('refuses with -32021 and says why when the client did not declare elicitation', async () => {
    const { request } = await setup(confirming);
    for (const era of ['modern', 'legacy'] as const) {
      const error = refusal(
        await request(call('write_file'), context({ era, clientCapabilities: {} })),
      );
      assert.equal(error?.code, -32021);
      assert.match(error.message, /"write_file" is destructive.*elicitation/);
    }
  });

  it('2026-07-28 shape: answers input_required with an elicitation, and forwards an accepted retry without the retry fields', async () => {
    const { request } = await setup(confirming);
    const first = await request(modernCall('write_file', { path: '/a' }));
    assert.equal(first.kind, 'answer');
    const result = first.message.result!;
    assert.equal(result.resultType, 'input_required');
    const asked = (result.inputRequests as JsonObject)[CONFIRM_KEY] as JsonObject;
    assert.equal(asked.method, 'elicitation/create');
    assert.match((asked.params as JsonObject).message as string, /"write_file" of Files/);
    const retry = modernCall(
      'write_file',
      { path: '/a' },
      {
        requestState: result.requestState,
        inputResponses: { [CONFIRM_KEY]: { action: 'accept', content: { confirm: true } } },
      },
    );
    const verdict = await request(retry);
    assert.equal(verdict.kind, 'forward');
    assert.deepEqual(verdict.message.params, {
      name: 'write_file',
      arguments: { path: '/a' },
      _meta: MODERN_META,
    });
  });

  it('2026-07-28 shape: a declined or cancelled retry, or accept with confirm false, is refused', async () => {
    const { request } = await setup(confirming);
    const first = await request(modernCall('write_file'));
    const state = (first.message as JsonRpcResponse).result!.requestState;
    for (const answer of [
      { action: 'decline' },
      { action: 'cancel' },
      { action: 'accept', content: { confirm: false } },
      undefined,
    ]) {
      const error = refusal(
        await request(
          modernCall(
            'write_file',
            {},
            { requestState: state, inputResponses: { [CONFIRM_KEY]: answer } },
          ),
        ),
      );
      assert.equal(
        (error?.data as JsonObject).reason,
        'confirmation_declined',
        JSON.stringify(answer),
      );
    }
  });

  it('2026-07-28 shape: a confirmation for other arguments, another tool or another caller is refused', async () => {
    const { request } = await setup(confirming);
    const first = await request(modernCall('write_file', { path: '/a' }));
    const requestState = (first.message as JsonRpcResponse).result!.requestState;
    const accept = { [CONFIRM_KEY]: { action: 'accept' } };
    const other = {
      ...context(),
      principal: { ...alice, id: 'mallory:client' },
    } as InterceptContext;
    for (const [message, ctx] of [
      [
        modernCall('write_file', { path: '/etc' }, { requestState, inputResponses: accept }),
        context(),
      ],
      [modernCall('bare', { path: '/a' }, { requestState, inputResponses: accept }), context()],
      [modernCall('write_file', { path: '/a' }, { requestState, inputResponses: accept }), other],
    ] as const) {
      const error = refusal(await request(message, ctx));
      assert.equal(error?.code, -32602);
      assert.match(error.message, /does not match this call/);
    }
  });

  it('2026-07-28 shape: a made-up requestState does not skip the question, and the upstream round is put back on accept', async () => {
    const { request } = await setup(confirming);
    const upstreamRound = {
      requestState: 'upstream-state',
      inputResponses: { q: { action: 'accept' } },
    };
    const first = await request(modernCall('write_file', { path: '/a' }, upstreamRound));
    assert.equal(first.kind, 'answer');
    const state = first.message.result!.requestState;
    const verdict = await request(
      modernCall(
        'write_file',
        { path: '/a' },
        { requestState: state, inputResponses: { [CONFIRM_KEY]: { action: 'accept' } } },
      ),
    );
    assert.equal(verdict.kind, 'forward');
    assert.deepEqual(verdict.message.params, {
      name: 'write_file',
      arguments: { path: '/a' },
      ...upstreamRound,
      _meta: MODERN_META,
    });
  });

  it('2025 shape: asks through context.ask and forwards on accept, refuses on decline or no answer', async () => {
    const { request } = await setup(confirming);
    const asked: JsonObject[] = [];
    const asking = (result: JsonRpcResponse) =>
      context({
        era: 'legacy',
        ask: async (req: JsonObject) => {
          asked.push(req);
          return result;
        },
      });
    const accept = { jsonrpc: '2.0', id: 'a', result: { action: 'accept' } } as JsonRpcResponse;
    assert.equal((await request(call('write_file'), asking(accept))).kind, 'forward');
    assert.equal(asked[0]!.method, 'elicitation/create');
    const decline = { jsonrpc: '2.0', id: 'a', result: { action: 'decline' } } as JsonRpcResponse;
    assert.equal(
      (refusal(await request(call('write_file'), asking(decline)))?.data as JsonObject).reason,
      'confirmation_declined',
    );
    const timeout = {
      jsonrpc: '2.0',
      id: 'a',
      error: { code: -32001, message: 'late' },
    } as JsonRpcResponse;
    assert.equal((await request(call('write_file'), asking(timeout))).kind, 'answer');
  });

  it('2025 shape: refuses, saying why, when the connection cannot ask', async () => {
    const { request } = await setup(confirming);
    const error = refusal(await request(call('write_file'), context({ era: 'legacy' })));
    assert.equal(error?.code, -32021);
    assert.match(error.message, /cannot ask/);
  });
});

describe('security interceptors on the hot path', () => {
  const constrained = {
    tools: { write_file: { argument_constraints: { member: { type: 'object' } } } },
  };

  function source(
    document: SecurityDocument | undefined | Promise<SecurityDocument | undefined>,
    role: Member['role'] | Promise<Member['role']>,
    storedReads: string[] = [],
  ) {
    const member = (value: Member['role']) => ({
      workspaceId: 'acme',
      userId: 'alice',
      role: value,
      serverIds: null,
    });
    return createSecurityInterceptors({
      policyOf: () => document,
      members: {
        find: () => (role instanceof Promise ? role.then(member) : member(role)),
      },
      catalogue: createToolCatalogue(),
      storedTool: async (_server, name) => {
        storedReads.push(name);
        return null;
      },
      confirmation: createConfirmation({
        box: createSealedBox('security-interceptors-test-key-of-enough-length'),
      }),
    });
  }

  it('answers synchronously, and with the same interceptor, while the document and membership are cached', () => {
    const document = { security: securityPolicySchema.parse(constrained) };
    const security = source(document, 'member');
    const first = security.interceptorsFor(server, alice);
    const second = security.interceptorsFor(server, alice);
    assert.ok(!(first instanceof Promise) && !(second instanceof Promise));
    assert.equal(first.length, 1);
    assert.equal(first[0], second[0]);
  });

  it('gives each role its own interceptor and a new document a new one', async () => {
    const strict = {
      tools: {
        write_file: {
          argument_constraints: { member: { type: 'object', required: ['path'] } },
        },
      },
    };
    let document = { security: securityPolicySchema.parse(strict) };
    let role: Member['role'] = 'member';
    const security = createSecurityInterceptors({
      policyOf: () => document,
      members: { find: () => ({ workspaceId: 'acme', userId: 'alice', role, serverIds: null }) },
      catalogue: createToolCatalogue(),
      confirmation: createConfirmation({
        box: createSealedBox('security-interceptors-test-key-of-enough-length'),
      }),
    });
    const asMember = security.interceptorsFor(server, alice);
    role = 'admin';
    const asAdmin = security.interceptorsFor(server, alice);
    assert.ok(!(asMember instanceof Promise) && !(asAdmin instanceof Promise));
    assert.notEqual(asMember[0], asAdmin[0]);
    // The member's constraint refuses a call without "path"; the admin has none.
    assert.equal((await asMember[0]!.onRequest!(call('write_file'), context())).kind, 'answer');
    assert.equal((await asAdmin[0]!.onRequest!(call('write_file'), context())).kind, 'forward');
    document = { security: securityPolicySchema.parse(strict) };
    const changed = security.interceptorsFor(server, alice);
    assert.ok(!(changed instanceof Promise));
    assert.notEqual(changed[0], asAdmin[0]);
  });

  it('waits for the document or the membership when they have to be read', async () => {
    const document = { security: securityPolicySchema.parse(constrained) };
    const pendingDocument = source(Promise.resolve(document), 'member').interceptorsFor(
      server,
      alice,
    );
    assert.ok(pendingDocument instanceof Promise);
    assert.equal((await pendingDocument).length, 1);
    const pendingMember = source(document, Promise.resolve('member')).interceptorsFor(
      server,
      alice,
    );
    assert.ok(pendingMember instanceof Promise);
    assert.equal((await pendingMember).length, 1);
  });

  it('does not look the membership up when no tool has argument constraints', () => {
    let lookups = 0;
    const security = createSecurityInterceptors({
      policyOf: () => ({ security: securityPolicySchema.parse({ timeout_ms: 1000 }) }),
      members: {
        find: () => {
          lookups++;
          return undefined;
        },
      },
      catalogue: createToolCatalogue(),
      confirmation: createConfirmation({
        box: createSealedBox('security-interceptors-test-key-of-enough-length'),
      }),
    });
    const interceptors = security.interceptorsFor(server, alice);
    assert.ok(!(interceptors instanceof Promise));
    assert.equal(interceptors.length, 1);
    assert.equal(lookups, 0);
  });

  it('gives nothing, synchronously, to a server without a document or security section', () => {
    for (const document of [undefined, {}, { security: securityPolicySchema.parse({}) }]) {
      const interceptors = source(document, 'member').interceptorsFor(server, alice);
      assert.ok(!(interceptors instanceof Promise));
      assert.equal(interceptors.length, 0);
    }
  });

  it('reads a stored tool definition only when read-only mode or confirmation needs it', async () => {
    const reads: string[] = [];
    const limitsOnly = source(
      { security: securityPolicySchema.parse({ max_request_bytes: 4096 }) },
      'member',
      reads,
    ).interceptorsFor(server, alice);
    assert.ok(!(limitsOnly instanceof Promise));
    assert.equal((await limitsOnly[0]!.onRequest!(call('bare'), context())).kind, 'forward');
    assert.deepEqual(reads, []);
    const readOnly = source(
      { security: securityPolicySchema.parse({ read_only: true }) },
      'member',
      reads,
    ).interceptorsFor(server, alice);
    assert.ok(!(readOnly instanceof Promise));
    assert.equal((await readOnly[0]!.onRequest!(call('bare'), context())).kind, 'answer');
    assert.deepEqual(reads, ['bare']);
  });
});
