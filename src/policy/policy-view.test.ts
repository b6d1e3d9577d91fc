import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPolicyView, decide, notePin, templatePattern, toolState } from './policy-view.ts';
import type { PinState } from './policy-view.ts';
import { serverPolicySchema } from './server-policy-schema.ts';
import type { ServerPolicyInput } from './server-policy-schema.ts';
import { canonicalJson, diffDefinitions, toolHash } from './tool-pinning.ts';

const policy = (input: ServerPolicyInput) => serverPolicySchema.parse(input);
const alice = { userId: 'alice', role: 'member' as const };

describe('policy document', () => {
  it('defaults to open, no pinning, no rules', () => {
    assert.deepEqual(policy({}), {
      mode: 'open',
      pin_tools: false,
      tools: {},
      resources: {},
      resource_templates: {},
      prompts: {},
    });
  });

  it('refuses unknown keys, bad roles, bad tool names and two tools shown under one name', () => {
    for (const bad of [
      { mode: 'closed' },
      { tools: { echo: { enabled: 'yes' } } },
      { tools: { echo: { roles: { guest: true } } } },
      { tools: { echo: { name: 'has space' } } },
      { tools: { echo: { colour: 'red' } } },
      { tools: { echo: { name: 'add' }, add: {} } },
      { tools: { echo: { name: 'x' }, add: { name: 'x' } } },
      { extra: true },
    ])
      assert.equal(serverPolicySchema.safeParse(bad).success, false, JSON.stringify(bad));
  });
});

describe('decide', () => {
  it('member beats role beats the item beats the mode', () => {
    const open = policy({});
    const allow = policy({ mode: 'allowlist' });
    assert.equal(decide(open, undefined, alice), true);
    assert.equal(decide(allow, undefined, alice), false);
    assert.equal(decide(allow, { enabled: true }, alice), true);
    assert.equal(decide(open, { enabled: true, roles: { member: false } }, alice), false);
    assert.equal(
      decide(open, { enabled: false, roles: { member: false }, members: { alice: true } }, alice),
      true,
    );
    assert.equal(decide(open, { roles: { admin: false } }, alice), true);
    assert.equal(
      decide(open, { roles: { member: false } }, { userId: 'x', role: undefined }),
      true,
    );
  });
});

describe('policy view', () => {
  it('shows a renamed tool under its new name, maps calls back, and hides the old name', () => {
    const view = createPolicyView(policy({ tools: { echo: { name: 'say' } } }), alice);
    assert.equal(view.toolShownAs('echo', null), 'say');
    assert.equal(view.toolCalled('say'), 'echo');
    assert.equal(view.toolCalled('echo'), undefined);
    assert.equal(view.toolCalled('other'), 'other');
  });

  it('a rename onto another upstream tool name shadows that tool', () => {
    const view = createPolicyView(policy({ tools: { echo: { name: 'add' } } }), alice);
    assert.equal(view.toolShownAs('add', null), undefined);
    assert.equal(view.toolShownAs('echo', null), 'add');
    assert.equal(view.toolCalled('add'), 'echo');
  });

  it('allowlist mode hides tools nobody enabled', () => {
    const view = createPolicyView(
      policy({ mode: 'allowlist', tools: { echo: { enabled: true } } }),
      alice,
    );
    assert.equal(view.toolShownAs('echo', null), 'echo');
    assert.equal(view.toolShownAs('add', null), undefined);
    assert.equal(view.toolCalled('add'), undefined);
  });

  it('quarantines a pinned tool whose definition changed, or that an admin blocked', () => {
    const pinned = policy({ pin_tools: true });
    const pins = new Map<string, PinState>([
      ['echo', { approvedHash: 'h1', seenHash: 'h1', blocked: false }],
      ['add', { approvedHash: 'h1', seenHash: 'h1', blocked: true }],
    ]);
    const view = createPolicyView(pinned, alice, pins);
    assert.equal(view.toolShownAs('echo', 'h1'), 'echo');
    assert.equal(view.toolShownAs('echo', 'h2'), undefined);
    assert.equal(view.toolCalled('add'), undefined);
    assert.equal(notePin(pins, 'echo', 'h2'), 'changed');
    assert.equal(view.toolCalled('echo'), undefined);
    assert.equal(toolState(pinned, 'echo', pins.get('echo')), 'quarantined');
    assert.equal(notePin(pins, 'echo', 'h1'), 'seen');
    assert.equal(view.toolCalled('echo'), 'echo');
    assert.equal(notePin(pins, 'new', 'h9'), 'new');
    assert.equal(pins.get('new')?.approvedHash, 'h9');
    assert.equal(notePin(pins, 'new', 'h9'), 'known');
  });

  it('pins are ignored when pinning is off', () => {
    const pins = new Map<string, PinState>([
      ['echo', { approvedHash: 'h1', seenHash: 'h2', blocked: true }],
    ]);
    assert.equal(createPolicyView(policy({}), alice, pins).toolCalled('echo'), 'echo');
  });

  it('states: disabled, pending in allowlist mode, visible', () => {
    const p = policy({ mode: 'allowlist', tools: { a: { enabled: false }, b: { enabled: true } } });
    assert.equal(toolState(p, 'a', undefined), 'disabled');
    assert.equal(toolState(p, 'b', undefined), 'visible');
    assert.equal(toolState(p, 'c', undefined), 'pending');
  });

  it('a resource without its own rule follows the first template it matches', () => {
    const view = createPolicyView(
      policy({
        resources: { 'file:///etc/passwd': { enabled: true } },
        resource_templates: { 'file:///etc/{name}': { enabled: false } },
      }),
      alice,
    );
    assert.equal(view.resourceVisible('file:///etc/passwd'), true);
    assert.equal(view.resourceVisible('file:///etc/shadow'), false);
    assert.equal(view.resourceVisible('file:///home/x'), true);
    assert.equal(view.templateVisible('file:///etc/{name}'), false);
  });

  it('a hidden resource stays hidden under every spelling an SDK upstream reads as it', () => {
    const view = createPolicyView(
      policy({
        resources: {
          'file:///etc/passwd': { enabled: true },
          'FILE:///secret': { enabled: false },
        },
        resource_templates: { 'file:///etc/{name}': { enabled: false } },
      }),
      alice,
    );
    for (const uri of ['FILE:///etc/shadow', 'file:///etc/./shadow', ' file:///etc/sha\tdow'])
      assert.equal(view.resourceVisible(uri), false, JSON.stringify(uri));
    assert.equal(view.resourceVisible('file:///secret'), false);
    assert.equal(view.resourceVisible('FILE:///etc/passwd'), true);
    assert.equal(view.resourceVisible('not a url'), true);
  });

  it('templates: simple expressions match one segment, reserved ones anything', () => {
    assert.equal(templatePattern('file:///{a}').test('file:///x/y'), false);
    assert.equal(templatePattern('file:///{+a}').test('file:///x/y'), true);
    assert.equal(templatePattern('test://x.{id}').test('test://xy1'), false);
  });

  it('items named like Object.prototype members are shown and called under their own names', () => {
    const names = ['constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    const open = createPolicyView(policy({}), alice);
    const allowlist = createPolicyView(policy({ mode: 'allowlist' }), alice);
    for (const name of names) {
      assert.equal(open.toolShownAs(name, null), name);
      assert.equal(open.toolCalled(name), name);
      assert.equal(open.toolRule(name), undefined);
      assert.equal(open.promptVisible(name), true);
      assert.equal(open.resourceVisible(name), true);
      assert.equal(open.templateVisible(name), true);
      assert.equal(open.securityFor(name).timeout_ms, undefined);
      assert.equal(allowlist.toolShownAs(name, null), undefined);
      assert.equal(allowlist.toolCalled(name), undefined);
      assert.equal(allowlist.promptVisible(name), false);
    }
    assert.equal(toolState(policy({}), 'constructor', undefined), 'visible');
  });

  it('securityFor gives the server-wide values with the tool own on top', () => {
    const view = createPolicyView(
      policy({ security: { timeout_ms: 5000, tools: { echo: { timeout_ms: 1000 } } } }),
      alice,
    );
    assert.equal(view.securityFor('echo').timeout_ms, 1000);
    assert.equal(view.securityFor('add').timeout_ms, 5000);
  });
});

describe('tool pinning', () => {
  it('hashes definitions independently of key order and of fields that are not pinned', () => {
    const a = {
      name: 't',
      description: 'd',
      inputSchema: { type: 'object', properties: { x: {} } },
    };
    const b = {
      inputSchema: { properties: { x: {} }, type: 'object' },
      description: 'd',
      name: 't',
      icons: [],
    };
    assert.equal(toolHash(a), toolHash(b));
    assert.notEqual(toolHash(a), toolHash({ ...a, description: 'e' }));
    assert.equal(
      canonicalJson({ b: 1, a: [2, { d: 1, c: null }] }),
      '{"a":[2,{"c":null,"d":1}],"b":1}',
    );
  });

  it('diffs two definitions field by field', () => {
    assert.deepEqual(
      diffDefinitions(
        { name: 't', description: 'old', inputSchema: { type: 'object' } },
        { name: 't', description: 'new', inputSchema: { type: 'object', required: ['x'] } },
      ),
      [
        { path: 'description', before: 'old', after: 'new' },
        { path: 'inputSchema.required', before: null, after: ['x'] },
      ],
    );
  });
});
