import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffRows, itemRows, toolRows } from './capability-rows.ts';
import type { ToolPin } from './capability-rows.ts';
import { asPolicyDocument } from './policy-document.ts';

const pin = (tool: string, state: ToolPin['state'], description?: string): ToolPin => ({
  tool,
  shown_as: tool,
  state,
  changed: state === 'quarantined',
  blocked: false,
  seen_at: null,
  approved_at: null,
  approved_by: null,
  definition: description === undefined ? null : { name: tool, description },
});

describe('capability rows', () => {
  const document = asPolicyDocument({
    mode: 'open',
    tools: {
      gone: { enabled: false },
      search: { roles: { viewer: false }, members: { u1: true } },
    },
    prompts: { debug: { enabled: false } },
  });

  it('joins live tools, seen tools and the tools the policy names, sorted by name', () => {
    const rows = toolRows(
      document,
      [pin('search', 'visible', 'seen text'), pin('mut', 'quarantined')],
      [{ name: 'search', description: 'live text' }, { name: 'add' }],
    );
    assert.deepEqual(
      rows.map((row) => [row.name, row.enabled, row.live, row.quarantined]),
      [
        ['add', true, true, false],
        ['gone', false, false, false],
        ['mut', true, false, true],
        ['search', true, true, false],
      ],
    );
    const search = rows.find((row) => row.name === 'search')!;
    assert.equal(search.description, 'live text');
    assert.deepEqual(search.roles, { viewer: false });
    assert.deepEqual(search.members, { u1: true });
  });

  it('falls back to the seen definition and leaves liveness unknown without a live list', () => {
    const rows = toolRows(document, [pin('search', 'visible', 'seen text')], undefined);
    const search = rows.find((row) => row.name === 'search')!;
    assert.equal(search.description, 'seen text');
    assert.equal(search.live, undefined);
  });

  it('takes a tool’s annotations from the live list, else from the definition last seen', () => {
    const seen: ToolPin = {
      ...pin('search', 'visible', 'seen text'),
      definition: { name: 'search', annotations: { readOnlyHint: false } },
    };
    const offline = toolRows(document, [seen], undefined).find((row) => row.name === 'search')!;
    assert.deepEqual(offline.upstreamAnnotations, { readOnlyHint: false });
    const live = toolRows(
      document,
      [seen],
      [{ name: 'search', annotations: { readOnlyHint: true } }],
    ).find((row) => row.name === 'search')!;
    assert.deepEqual(live.upstreamAnnotations, { readOnlyHint: true });
    const none = toolRows(document, [], [{ name: 'add' }]).find((row) => row.name === 'add')!;
    assert.equal(none.upstreamAnnotations, undefined);
  });

  it('lists prompts from the live list and the policy', () => {
    const rows = itemRows(document, 'prompts', [{ name: 'greet' }]);
    assert.deepEqual(
      rows.map((row) => [row.name, row.enabled]),
      [
        ['debug', false],
        ['greet', true],
      ],
    );
  });

  it('renders a diff’s sides as text, structured values as indented JSON', () => {
    assert.deepEqual(
      diffRows([
        { path: 'description', before: 'old', after: '<b>new</b>' },
        { path: 'inputSchema.properties.x', before: null, after: { type: 'string' } },
      ]),
      [
        { path: 'description', before: 'old', after: '<b>new</b>' },
        { path: 'inputSchema.properties.x', before: '(none)', after: '{\n  "type": "string"\n}' },
      ],
    );
  });
});
