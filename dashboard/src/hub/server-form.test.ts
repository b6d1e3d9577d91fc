import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../api/client.ts';
import {
  emptyServerForm,
  fieldIssuesOf,
  formFromDetail,
  issuesFor,
  serverBodyFromForm,
} from './server-form.ts';
import type { ServerDetail } from './server-form.ts';

const detail: ServerDetail = {
  id: 'github',
  name: 'GitHub',
  transport: 'http',
  endpoint: 'https://gw.example.test/acme/github/mcp',
  url: 'https://api.example.test/mcp',
  command: null,
  args: [],
  cwd: null,
  env_names: [],
  timeout_ms: 30000,
  capture: { mode: 'full', masks: ['arguments.token'] },
  upstream_auth: {
    mode: 'oauth',
    header_names: [],
    forward_identity: true,
    oauth: {
      grant: 'shared',
      client_id: 'client-1',
      has_client_secret: true,
      scopes: ['repo', 'read:org'],
      omit_resource: true,
      authorize_params: { access_type: 'offline' },
    },
  },
};

describe('server form to API body', () => {
  it('makes an http body with the URL, no auth and default capture', () => {
    const { body, issues } = serverBodyFromForm({
      ...emptyServerForm(),
      id: ' everything ',
      url: ' http://127.0.0.1:3001/mcp ',
    });
    assert.deepEqual(issues, []);
    assert.deepEqual(body, {
      id: 'everything',
      transport: 'http',
      url: 'http://127.0.0.1:3001/mcp',
      capture: { mode: 'metadata', masks: [] },
      upstream_auth: { mode: 'none', forward_identity: false },
    });
  });

  it('makes a stdio body with one argument per line, literal and member-secret env, no auth', () => {
    const { body, issues } = serverBodyFromForm({
      ...emptyServerForm(),
      id: 'memory',
      name: 'Memory',
      transport: 'stdio',
      url: 'ignored',
      command: 'npx',
      args: '-y\n @modelcontextprotocol/server-memory \n\n',
      timeoutMs: '5000',
      env: [
        { name: 'MODE', kind: 'literal', value: 'fast', description: '', storedAs: null },
        {
          name: 'TOKEN',
          kind: 'member_secret',
          value: 'github_token',
          description: 'A PAT',
          storedAs: null,
        },
        { name: '', kind: 'literal', value: '', description: '', storedAs: null },
      ],
    });
    assert.deepEqual(issues, []);
    assert.deepEqual(body, {
      id: 'memory',
      name: 'Memory',
      timeout_ms: 5000,
      capture: { mode: 'metadata', masks: [] },
      transport: 'stdio',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-memory'],
      env: { MODE: 'fast', TOKEN: { member_secret: 'github_token', description: 'A PAT' } },
    });
  });

  it('sends static header values as secrets and refuses an empty one by field', () => {
    const { body, issues } = serverBodyFromForm({
      ...emptyServerForm(),
      id: 'x',
      url: 'https://x.test/mcp',
      authMode: 'headers',
      headers: [
        { name: 'X-Api-Key', value: 's3cret', storedAs: null },
        { name: 'X-Other', value: '', storedAs: null },
      ],
    });
    assert.deepEqual(body.upstream_auth?.headers, { 'X-Api-Key': { value: 's3cret' } });
    assert.deepEqual(
      issues.map((issue) => issue.path),
      ['body.upstream_auth.headers.X-Other'],
    );
  });

  it('refuses a malformed authorize parameter and a bad timeout', () => {
    const { issues } = serverBodyFromForm({
      ...emptyServerForm(),
      id: 'x',
      url: 'https://x.test/mcp',
      timeoutMs: '1.5s',
      authMode: 'oauth',
      authorizeParams: 'access_type=offline\nnonsense',
    });
    assert.deepEqual(
      issues.map((issue) => issue.path),
      ['body.timeout_ms', 'body.upstream_auth.oauth.authorize_params'],
    );
  });
});

describe('editing a stored server', () => {
  const KEEP = { stored: true };
  const headersDetail: ServerDetail = {
    ...detail,
    upstream_auth: {
      mode: 'headers',
      header_names: ['Authorization', 'X-Team'],
      forward_identity: false,
    },
  };

  it('opens with every stored setting and sends it back unchanged, keeping the stored client secret', () => {
    const form = formFromDetail(detail);
    assert.equal(form.clientSecret, '');
    assert.equal(form.storedClientSecret, true);
    const { body, issues } = serverBodyFromForm(form);
    assert.deepEqual(issues, []);
    assert.deepEqual(body, {
      id: 'github',
      name: 'GitHub',
      timeout_ms: 30000,
      capture: { mode: 'full', masks: ['arguments.token'] },
      transport: 'http',
      url: 'https://api.example.test/mcp',
      upstream_auth: {
        mode: 'oauth',
        forward_identity: true,
        oauth: {
          grant: 'shared',
          client_id: 'client-1',
          client_secret: KEEP,
          scopes: ['repo', 'read:org'],
          omit_resource: true,
          authorize_params: { access_type: 'offline' },
        },
      },
    });
  });

  it('replaces the client secret when typed, drops it when removed or when the client id is cleared', () => {
    const form = formFromDetail(detail);
    const secretOf = (patch: Partial<typeof form>) => {
      const { body, issues } = serverBodyFromForm({ ...form, ...patch });
      assert.deepEqual(issues, []);
      return body.upstream_auth?.oauth?.client_secret;
    };
    assert.equal(secretOf({ clientSecret: 'shh' }), 'shh');
    assert.equal(secretOf({ storedClientSecret: false }), undefined);
    assert.equal(secretOf({ clientId: '' }), undefined);
  });

  it('asks for the client secret again when the client id or the URL origin changed', () => {
    const form = formFromDetail(detail);
    for (const patch of [
      { clientId: 'client-2' },
      { url: 'https://elsewhere.example.test/mcp' },
      { url: 'http://api.example.test/mcp' },
    ]) {
      const { body, issues } = serverBodyFromForm({ ...form, ...patch });
      assert.deepEqual(
        issues.map((issue) => issue.path),
        ['body.upstream_auth.oauth.client_secret'],
        JSON.stringify(patch),
      );
      assert.equal(body.upstream_auth?.oauth?.client_secret, undefined);
    }
    assert.match(
      serverBodyFromForm({ ...form, clientId: 'client-2' }).issues[0]?.message ?? '',
      /belongs to client-1/,
    );
    const samePlace = serverBodyFromForm({ ...form, url: 'https://api.example.test/v2/mcp' });
    assert.deepEqual(samePlace.issues, []);
    assert.deepEqual(samePlace.body.upstream_auth?.oauth?.client_secret, KEEP);
  });

  it('keeps untouched stored headers, replaces typed ones and drops removed ones', () => {
    const form = formFromDetail(headersDetail);
    assert.deepEqual(form.headers, [
      { name: 'Authorization', value: '', storedAs: 'Authorization' },
      { name: 'X-Team', value: '', storedAs: 'X-Team' },
    ]);
    assert.deepEqual(serverBodyFromForm(form).body.upstream_auth?.headers, {
      Authorization: KEEP,
      'X-Team': KEEP,
    });
    const edited = serverBodyFromForm({
      ...form,
      headers: [
        { name: 'authorization', value: '', storedAs: 'Authorization' },
        { name: 'X-Added', value: 'new', storedAs: null },
      ],
    });
    assert.deepEqual(edited.issues, []);
    assert.deepEqual(edited.body.upstream_auth?.headers, {
      authorization: KEEP,
      'X-Added': { value: 'new' },
    });
    const replaced = serverBodyFromForm({
      ...form,
      headers: [{ name: 'Authorization', value: 'Bearer 2', storedAs: 'Authorization' }],
    });
    assert.deepEqual(replaced.body.upstream_auth?.headers, {
      Authorization: { value: 'Bearer 2' },
    });
  });

  it('asks for a header value when a stored row is renamed, or the URL moves to another host', () => {
    const form = formFromDetail(headersDetail);
    const renamed = serverBodyFromForm({
      ...form,
      headers: [{ name: 'X-Renamed', value: '', storedAs: 'X-Team' }],
    });
    assert.deepEqual(renamed.issues, [
      { path: 'body.upstream_auth.headers.X-Renamed', message: 'needs its value' },
    ]);
    const moved = serverBodyFromForm({
      ...form,
      url: 'https://elsewhere.example.test/mcp',
      headers: [
        { name: 'Authorization', value: '', storedAs: 'Authorization' },
        { name: 'X-Team', value: 'typed again', storedAs: 'X-Team' },
      ],
    });
    assert.deepEqual(
      moved.issues.map((issue) => issue.path),
      ['body.upstream_auth.headers.Authorization'],
    );
    assert.match(moved.issues[0]?.message ?? '', /stays with https:\/\/api\.example\.test/);
  });

  it('keeps stored env values left empty and asks for a renamed one', () => {
    const form = formFromDetail({
      ...detail,
      transport: 'stdio',
      url: null,
      command: 'node',
      env_names: ['API_BASE', 'API_TOKEN'],
      member_env: { TOKEN: { member_secret: 'token', description: null } },
      upstream_auth: { mode: 'none', header_names: [], forward_identity: false },
    });
    assert.deepEqual(form.env, [
      { name: 'API_BASE', kind: 'literal', value: '', description: '', storedAs: 'API_BASE' },
      { name: 'API_TOKEN', kind: 'literal', value: '', description: '', storedAs: 'API_TOKEN' },
      { name: 'TOKEN', kind: 'member_secret', value: 'token', description: '', storedAs: null },
    ]);
    const kept = serverBodyFromForm(form);
    assert.deepEqual(kept.issues, []);
    assert.deepEqual(kept.body.env, {
      API_BASE: KEEP,
      API_TOKEN: KEEP,
      TOKEN: { member_secret: 'token' },
    });
    const [base, token, member] = form.env;
    const edited = serverBodyFromForm({
      ...form,
      env: [
        { ...base!, value: 'https://api.test' },
        { ...token!, name: 'API_KEY' },
        { ...member!, kind: 'literal', value: '' },
      ],
    });
    assert.deepEqual(edited.body.env, { API_BASE: 'https://api.test' });
    assert.deepEqual(
      edited.issues.map((issue) => issue.path),
      ['body.env.API_KEY', 'body.env.TOKEN'],
    );
  });
});

describe('field issues from the API', () => {
  it('takes the fields a refusal names, and nothing from errors that name none', () => {
    const refused = new ApiError(400, 'bad_request', 'Invalid input: …', [
      { path: 'body.url', message: 'is required for transport http' },
      { path: 'body.env.X', message: 'give a literal; references work in the config file' },
    ]);
    const issues = fieldIssuesOf(refused);
    assert.deepEqual(issuesFor(issues, 'url'), ['is required for transport http']);
    assert.deepEqual(issuesFor(issues, 'env'), [
      'X: give a literal; references work in the config file',
    ]);
    assert.deepEqual(
      fieldIssuesOf(new ApiError(409, 'conflict', 'Server "x" already exists.')),
      [],
    );
    assert.deepEqual(fieldIssuesOf(new Error('network')), []);
    assert.deepEqual(fieldIssuesOf(undefined), []);
  });
});
