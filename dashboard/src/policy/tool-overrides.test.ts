import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asPolicyDocument, sameDocument, setEnabled, setToolOverride } from './policy-document.ts';
import type { PolicyDocument } from './policy-document.ts';
import {
  clearToolOverrides,
  effectiveHint,
  hasOverrides,
  hintChoice,
  namingProblems,
  setAnnotationHint,
  shownNameProblem,
  upstreamHintText,
} from './tool-overrides.ts';

const open = (): PolicyDocument =>
  asPolicyDocument({ mode: 'open', pin_tools: false, tools: {}, resources: {}, prompts: {} });

describe('tool annotation overrides', () => {
  it('maps each hint to a tri-state: absent is the upstream’s, booleans are overrides', () => {
    const overrides = { readOnlyHint: true, destructiveHint: false, idempotentHint: 'yes' };
    assert.equal(hintChoice(overrides, 'readOnlyHint'), 'true');
    assert.equal(hintChoice(overrides, 'destructiveHint'), 'false');
    assert.equal(hintChoice(overrides, 'openWorldHint'), 'upstream');
    assert.equal(hintChoice(undefined, 'readOnlyHint'), 'upstream');
    assert.equal(hintChoice(overrides, 'idempotentHint'), 'kept');
  });

  it('does not read a hint from Object.prototype', () => {
    const bare = Object.create({ readOnlyHint: true }) as Record<string, unknown>;
    assert.equal(hintChoice(bare, 'readOnlyHint'), 'upstream');
    assert.equal(effectiveHint(bare, undefined, 'readOnlyHint'), false);
  });

  it('writes a hint override and removes it, leaving no rule behind', () => {
    const readOnly = setAnnotationHint(open(), 'search', 'readOnlyHint', 'true');
    assert.deepEqual(readOnly.tools, { search: { annotations: { readOnlyHint: true } } });
    const both = setAnnotationHint(readOnly, 'search', 'destructiveHint', 'false');
    assert.deepEqual(both.tools, {
      search: { annotations: { readOnlyHint: true, destructiveHint: false } },
    });
    const back = setAnnotationHint(
      setAnnotationHint(both, 'search', 'readOnlyHint', 'upstream'),
      'search',
      'destructiveHint',
      'upstream',
    );
    assert.deepEqual(back.tools, {});
    assert.ok(sameDocument(back, open()));
  });

  it('keeps annotation keys it does not edit and the rule’s other fields', () => {
    const doc = asPolicyDocument({
      mode: 'open',
      tools: { search: { enabled: false, annotations: { title: 'Search', readOnlyHint: true } } },
    });
    const changed = setAnnotationHint(doc, 'search', 'readOnlyHint', 'upstream');
    assert.deepEqual(changed.tools, {
      search: { enabled: false, annotations: { title: 'Search' } },
    });
  });

  it('removes every presentation override at once, keeping the tool’s access decisions', () => {
    let doc = setEnabled(open(), 'tools', 'search', false);
    doc = setToolOverride(doc, 'search', 'name', 'find');
    doc = setToolOverride(doc, 'search', 'description', 'Finds things');
    doc = setAnnotationHint(doc, 'search', 'readOnlyHint', 'true');
    assert.ok(hasOverrides(doc.tools!.search!));
    const cleared = clearToolOverrides(doc, 'search');
    assert.deepEqual(cleared.tools, { search: { enabled: false } });
    assert.equal(hasOverrides(cleared.tools?.search ?? {}), false);

    const only = clearToolOverrides(setToolOverride(open(), 'search', 'title', 'Find'), 'search');
    assert.deepEqual(only.tools, {});
  });

  it('edits a tool named __proto__ as an own key', () => {
    const doc = setAnnotationHint(open(), '__proto__', 'readOnlyHint', 'true');
    assert.equal(JSON.stringify(doc.tools), '{"__proto__":{"annotations":{"readOnlyHint":true}}}');
    assert.deepEqual(JSON.stringify(clearToolOverrides(doc, '__proto__').tools), '{}');
  });

  it('judges a hint as the gateway does: the override, else the upstream, else the MCP default', () => {
    assert.equal(
      effectiveHint({ readOnlyHint: false }, { readOnlyHint: true }, 'readOnlyHint'),
      true,
    );
    assert.equal(effectiveHint({ readOnlyHint: true }, {}, 'readOnlyHint'), true);
    assert.equal(effectiveHint(undefined, undefined, 'readOnlyHint'), false);
    assert.equal(effectiveHint(undefined, undefined, 'destructiveHint'), true);
    assert.equal(
      effectiveHint({ destructiveHint: false }, { destructiveHint: 'no' }, 'destructiveHint'),
      true,
    );
  });

  it('describes the upstream’s value, its absence and a value that is not a boolean', () => {
    assert.equal(upstreamHintText({ readOnlyHint: true }, 'readOnlyHint'), 'true');
    assert.equal(upstreamHintText(undefined, 'destructiveHint'), 'not set (counts as true)');
    assert.equal(
      upstreamHintText({ openWorldHint: '<b>x</b>' }, 'openWorldHint'),
      '"<b>x</b>" (not a boolean: counts as true)',
    );
  });
});

describe('shown tool names', () => {
  const others = new Map([
    ['search', 'search'],
    ['add', 'plus'],
  ]);

  it('accepts blank, the tool’s own name and a free valid name', () => {
    assert.equal(shownNameProblem('search', '', others), undefined);
    assert.equal(shownNameProblem('search', 'search', others), undefined);
    assert.equal(shownNameProblem('search', 'find.v2', others), undefined);
  });

  it('refuses a name MCP does not allow', () => {
    assert.match(shownNameProblem('search', 'find things', others) ?? '', /1–128 characters/);
    assert.match(shownNameProblem('search', 'x'.repeat(129), others) ?? '', /1–128 characters/);
  });

  it('refuses a name another tool has or is shown as', () => {
    assert.equal(
      shownNameProblem('add', 'search', others),
      'The upstream\'s tool "search" has this name.',
    );
    assert.equal(
      shownNameProblem('search', 'plus', others),
      'Tool "add" is already shown as "plus".',
    );
  });

  it('names every tool whose new name is refused or taken, and only those', () => {
    let doc = setToolOverride(open(), 'a', 'name', 'same');
    doc = setToolOverride(doc, 'b', 'name', 'same');
    doc = setToolOverride(doc, 'c', 'name', 'search');
    doc = setToolOverride(doc, 'd', 'name', 'fine');
    const problems = namingProblems(doc, ['search', 'a', 'b', 'c', 'd']);
    assert.deepEqual([...problems.keys()].sort(), ['a', 'b', 'c']);
    assert.equal(problems.get('c'), 'The upstream\'s tool "search" has this name.');
    assert.equal(namingProblems(open(), ['search']).size, 0);
  });
});
