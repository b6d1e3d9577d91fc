import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requestRecord } from '../store/contract/contract-support.ts';
import type { RequestRecord } from '../telemetry/request-record.ts';
import { call, startAdminTestApp } from './admin-test-app.ts';
import type { AdminTestApp } from './admin-test-app.ts';

const URL = '/api/v1/workspaces/acme/records';
const at = (second: number) => new Date(Date.UTC(2026, 2, 1, 12, 0, second));

/** RFC 4180 reader for the test: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  assert.equal(field, '', 'the export ends with CRLF');
  return rows;
}

describe('records routes', () => {
  let t: AdminTestApp;
  let seeded: RequestRecord[];
  before(async () => {
    t = await startAdminTestApp();
    const { member, admin } = t.users;
    seeded = [
      ...Array.from({ length: 25 }, (_, i) =>
        requestRecord({
          id: `m-${String(i).padStart(2, '0')}`,
          time: at(i),
          serverId: 'github',
          principalId: member.id,
          target: i % 5 === 0 ? 'create_issue' : 'search',
        }),
      ),
      requestRecord({
        id: 'a-err',
        time: at(30),
        serverId: 'linear',
        principalId: admin.id,
        target: '=HYPERLINK("x"), "quoted"',
        status: 'error',
        errorCode: -32001,
        errorMessage: 'upstream_timeout',
        arguments: '{"query":"q","token":"[redacted]"}',
        result: '{"error":{"code":-32001,"message":"timeout"}}',
        clientName: 'claude-code',
        clientVersion: '2.0.1',
      }),
      requestRecord({ id: 'other-ws', time: at(31), workspaceId: 'other', principalId: admin.id }),
    ];
    await t.store.requestRecords.insertMany(seeded);
  });
  after(() => t.close());

  it('refuses malformed filters with 400 naming the field', async () => {
    for (const [query, field] of [
      ['since=yesterday', 'query.since'],
      ['since=2026-03-01T12:00:10Z&until=2026-03-01T12:00:05Z', 'query.until'],
      ['status=maybe', 'query.status'],
      ['limit=0', 'query.limit'],
      ['limit=1001', 'query.limit'],
      ['cursor=not-a-cursor', 'query.cursor'],
      [`cursor=${Buffer.from('[1,2]').toString('base64url')}`, 'query.cursor'],
      ['colour=blue', 'query'],
    ] as const) {
      const response = await call(t, 'GET', `${URL}?${query}`, t.bearer('admin'));
      assert.equal(response.status, 400, query);
      assert.match(response.json().message, new RegExp(field.replaceAll('.', '\\.')), query);
    }
    const repeated = await call(t, 'GET', `${URL}?limit=1&limit=2`, t.bearer('admin'));
    assert.equal(repeated.status, 400);
    assert.match(repeated.json().message, /query\.limit: is given more than once/);
    const badFormat = await call(t, 'GET', `${URL}/export?format=xml`, t.bearer('admin'));
    assert.equal(badFormat.status, 400);
    assert.match(badFormat.json().message, /query\.format/);
  });

  it('admins see every record of the workspace; members only their own', async () => {
    const admin = await call(t, 'GET', `${URL}?limit=100`, t.bearer('admin'));
    assert.equal(admin.status, 200);
    assert.equal(admin.json().records.length, 26);
    assert.equal(admin.json().records[0].id, 'a-err');
    const member = await call(t, 'GET', `${URL}?limit=100`, t.bearer('member'));
    assert.equal(member.json().records.length, 25);
    const viewer = await call(t, 'GET', URL, t.bearer('viewer'));
    assert.deepEqual(viewer.json().records, []);
    const naming = await call(t, 'GET', `${URL}?member=${t.users.admin.id}`, t.bearer('member'));
    assert.equal(naming.status, 403);
    const outsider = await call(t, 'GET', URL, t.bearer('outsider'));
    assert.equal(outsider.status, 404);
  });

  it('filters by server, member, tool, status, text and time range', async () => {
    const ids = async (query: string) =>
      (await call(t, 'GET', `${URL}?limit=100&${query}`, t.bearer('owner')))
        .json()
        .records.map((r: { id: string }) => r.id);
    assert.deepEqual(await ids('server=linear'), ['a-err']);
    assert.equal((await ids(`member=${t.users.member.id}`)).length, 25);
    assert.deepEqual(await ids('tool=create_issue'), ['m-20', 'm-15', 'm-10', 'm-05', 'm-00']);
    assert.deepEqual(await ids('status=error'), ['a-err']);
    assert.deepEqual(await ids('q=TIMEOUT'), ['a-err']);
    assert.deepEqual(await ids('since=2026-03-01T12:00:03Z&until=2026-03-01T12:00:06Z'), [
      'm-05',
      'm-04',
      'm-03',
    ]);
  });

  it('pages with an opaque cursor, no record twice or missed, while newer ones arrive', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pagesRead = 0;
    do {
      const query: string = cursor === null ? '' : `&cursor=${cursor}`;
      const page = await call(t, 'GET', `${URL}?limit=10${query}`, t.bearer('member'));
      seen.push(...page.json().records.map((r: { id: string }) => r.id));
      cursor = page.json().nextCursor;
      if (pagesRead++ === 0)
        await t.store.requestRecords.insertMany([
          requestRecord({ id: 'm-late', time: at(59), principalId: t.users.member.id }),
        ]);
    } while (cursor !== null);
    assert.equal(pagesRead, 3);
    assert.deepEqual(
      seen,
      seeded
        .filter((r) => r.id.startsWith('m-'))
        .map((r) => r.id)
        .reverse(),
    );
  });

  it('shows one record in full with its captured body; out of scope looks absent', async () => {
    const full = await call(t, 'GET', `${URL}/a-err`, t.bearer('admin'));
    assert.equal(full.status, 200);
    assert.deepEqual(full.json().arguments, { query: 'q', token: '[redacted]' });
    assert.deepEqual(full.json().result, { error: { code: -32001, message: 'timeout' } });
    assert.equal(full.json().clientName, 'claude-code');
    assert.equal(full.json().captured, true);
    const list = await call(t, 'GET', `${URL}?server=linear`, t.bearer('admin'));
    assert.equal(list.json().records[0].arguments, undefined);
    for (const [person, id] of [
      ['member', 'a-err'],
      ['admin', 'other-ws'],
      ['admin', 'no-such-record'],
    ] as const) {
      const response = await call(t, 'GET', `${URL}/${id}`, t.bearer(person));
      assert.equal(response.status, 404, `${person} ${id}`);
    }
  });

  it('exports NDJSON with the same filters, one full record a line', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: `${URL}/export?format=ndjson&tool=search`,
      headers: t.bearer('admin'),
    });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/x-ndjson/);
    assert.match(String(response.headers['content-disposition']), /records-acme\.ndjson/);
    const lines = response.body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(lines.length, 20);
    assert.ok(lines.every((r) => r.target === 'search' && 'arguments' in r));
  });

  it('exports CSV with quoting and formula-safe text, more rows than one store page', async () => {
    await t.store.requestRecords.insertMany(
      Array.from({ length: 1200 }, (_, i) =>
        requestRecord({ id: `bulk-${i}`, time: at(100 + i / 100), serverId: 'bulk' }),
      ),
    );
    const bulk = await t.app.inject({
      method: 'GET',
      url: `${URL}/export?format=csv&server=bulk`,
      headers: t.bearer('admin'),
    });
    assert.equal(parseCsv(bulk.body).length, 1201);
    const response = await t.app.inject({
      method: 'GET',
      url: `${URL}/export?format=csv&server=linear`,
      headers: t.bearer('admin'),
    });
    assert.match(String(response.headers['content-type']), /^text\/csv/);
    const [header, row, ...rest] = parseCsv(response.body);
    assert.equal(rest.length, 0);
    const field = (name: string) => row![header!.indexOf(name)];
    assert.equal(field('target'), `'=HYPERLINK("x"), "quoted"`);
    assert.equal(field('errorCode'), '-32001');
    assert.equal(field('arguments'), '{"query":"q","token":"[redacted]"}');
    assert.equal(field('upstreamLatencyMs'), '10.25');
  });
});

describe('capture settings through the servers API', () => {
  let t: AdminTestApp;
  const SERVERS = '/api/v1/workspaces/acme/servers';
  before(async () => {
    t = await startAdminTestApp();
  });
  after(() => t.close());

  it('refuses a bad capture mode or mask with 400 naming the field, changing nothing', async () => {
    for (const capture of ['everything', { mode: 'full', masks: ['card.number'] }, { masks: [] }]) {
      const response = await call(t, 'PUT', `${SERVERS}/github`, t.bearer('admin'), {
        id: 'github',
        transport: 'http',
        url: 'https://github.example.com/mcp',
        capture,
      });
      assert.equal(response.status, 400, JSON.stringify(capture));
      assert.match(response.json().message, /body\.capture/);
    }
    assert.equal((await t.store.servers.find('acme', 'github'))?.capture?.mode, 'metadata');
  });

  it('sets a server to full capture with field masks, shown back; a mode alone is accepted', async () => {
    const capture = { mode: 'full', masks: ['arguments.card.number'] };
    const put = await call(t, 'PUT', `${SERVERS}/github`, t.bearer('admin'), {
      id: 'github',
      transport: 'http',
      url: 'https://github.example.com/mcp',
      capture,
    });
    assert.equal(put.status, 200, JSON.stringify(put.json()));
    const shown = await call(t, 'GET', `${SERVERS}/github`, t.bearer('admin'));
    assert.deepEqual(shown.json().capture, capture);
    await call(t, 'PUT', `${SERVERS}/github`, t.bearer('admin'), {
      id: 'github',
      transport: 'http',
      url: 'https://github.example.com/mcp',
      capture: 'off',
    });
    assert.deepEqual((await t.store.servers.find('acme', 'github'))?.capture, {
      mode: 'off',
      masks: [],
    });
  });
});
