import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  asPolicyDocument,
  isEnabled,
  sameDocument,
  setArgumentConstraint,
  setEnabled,
  setMemberRule,
  setMode,
  setRoleRule,
  setSecurity,
  setToolOverride,
} from './policy-document.ts';
import type { PolicyDocument } from './policy-document.ts';

const open = (): PolicyDocument =>
  asPolicyDocument({ mode: 'open', pin_tools: false, tools: {}, resources: {}, prompts: {} });

describe('policy document edits', () => {
  it('disables a tool in open mode and leaves no rule once it is enabled again', () => {
    const off = setEnabled(open(), 'tools', 'search', false);
    assert.deepEqual(off.tools, { search: { enabled: false } });
    assert.equal(isEnabled(off, 'tools', 'search'), false);
    const on = setEnabled(off, 'tools', 'search', true);
    assert.deepEqual(on.tools, {});
    assert.ok(sameDocument(on, open()));
  });

  it('writes enabled: true in allowlist mode, where the default hides the item', () => {
    const doc = setEnabled(setMode(open(), 'allowlist'), 'prompts', 'debug', true);
    assert.deepEqual(doc.prompts, { debug: { enabled: true } });
    assert.equal(isEnabled(doc, 'prompts', 'other'), false);
  });

  it('keeps a rule’s other fields when its toggle changes', () => {
    const renamed = setToolOverride(open(), 'search', 'name', 'find');
    const off = setEnabled(renamed, 'tools', 'search', false);
    assert.deepEqual(off.tools, { search: { name: 'find', enabled: false } });
    assert.deepEqual(setToolOverride(off, 'search', 'name', ' ').tools, {
      search: { enabled: false },
    });
  });

  it('sets and clears per-role decisions', () => {
    const doc = setRoleRule(open(), 'tools', 'delete_repo', 'viewer', false);
    assert.deepEqual(doc.tools, { delete_repo: { roles: { viewer: false } } });
    assert.deepEqual(setRoleRule(doc, 'tools', 'delete_repo', 'viewer', undefined).tools, {});
  });

  it('sets and clears a member’s own decision', () => {
    const doc = setMemberRule(open(), 'prompts', 'debug', 'u1', true);
    assert.deepEqual(doc.prompts, { debug: { members: { u1: true } } });
    assert.deepEqual(setMemberRule(doc, 'prompts', 'debug', 'u1', undefined).prompts, {});
  });

  it('does not read a rule from Object.prototype for an item named constructor', () => {
    assert.equal(isEnabled(open(), 'tools', 'constructor'), true);
    const off = setEnabled(open(), 'tools', 'constructor', false);
    assert.deepEqual(Object.keys(off.tools ?? {}), ['constructor']);
    const proto = setEnabled(open(), 'tools', '__proto__', false);
    assert.equal(JSON.stringify(proto.tools), '{"__proto__":{"enabled":false}}');
  });

  it('adds and removes argument constraints without leaving an empty security section', () => {
    const schema = { properties: { db: { enum: ['analytics'] } } };
    const doc = setArgumentConstraint(open(), 'run_query', 'member', schema);
    assert.deepEqual(doc.security, {
      tools: { run_query: { argument_constraints: { member: schema } } },
    });
    assert.equal(setArgumentConstraint(doc, 'run_query', 'member', undefined).security, undefined);
  });

  it('keeps other per-tool security values when a constraint is removed', () => {
    const doc = setSecurity(open(), { tools: { run_query: { timeout_ms: 60000 } } });
    const withConstraint = setArgumentConstraint(doc, 'run_query', '*', { type: 'object' });
    const removed = setArgumentConstraint(withConstraint, 'run_query', '*', undefined);
    assert.deepEqual(removed.security, { tools: { run_query: { timeout_ms: 60000 } } });
  });

  it('drops unset security values', () => {
    assert.equal(setSecurity(open(), { timeout_ms: undefined }).security, undefined);
    assert.deepEqual(setSecurity(open(), { read_only: true, timeout_ms: undefined }).security, {
      read_only: true,
    });
  });

  it('compares documents regardless of key order', () => {
    assert.ok(sameDocument({ a: 1, b: { c: 2, d: undefined } }, { b: { c: 2 }, a: 1 }));
    assert.ok(!sameDocument({ a: 1 }, { a: 2 }));
  });
});
