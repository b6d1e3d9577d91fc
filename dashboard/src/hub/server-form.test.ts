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
        { name: 'MODE', kind: 'literal', value: 'fast', description: '' },
        { name: 'TOKEN', kind: 'member_secret', value: 'github_token', description: 'A PAT' },
        { name: '', kind: 'literal', value: '', description: '' },
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
        { name: 'X-Api-Key', value: 's3cret' },
        { name: 'X-Other', value: '' },
      ],
    });
    assert.deepEqual(body.upstream_auth?.headers, {
      'X-Api-Key': { value: 's3cret' },
      'X-Other': { value: '' },
    });
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
  it('opens with every stored setting and sends it back unchanged once the secret is given', () => {
    const form = formFromDetail(detail);
    assert.equal(form.clientSecret, '');
    const missing = serverBodyFromForm(form);
    assert.deepEqual(
      missing.issues.map((issue) => issue.path),
      ['body.upstream_auth.oauth.client_secret'],
    );
    const { body, issues } = serverBodyFromForm({ ...form, clientSecret: 'shh' });
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
          client_secret: 'shh',
          scopes: ['repo', 'read:org'],
          omit_resource: true,
          authorize_params: { access_type: 'offline' },
        },
      },
    });
  });

  it('lists stored env names and header names with empty values to fill in again', () => {
    const form = formFromDetail({
      ...detail,
      transport: 'stdio',
      url: null,
      command: 'node',
      env_names: ['API_BASE'],
      member_env: { TOKEN: { member_secret: 'token', description: null } },
      upstream_auth: { mode: 'none', header_names: [], forward_identity: false },
    });
    assert.deepEqual(form.env, [
      { name: 'API_BASE', kind: 'literal', value: '', description: '' },
      { name: 'TOKEN', kind: 'member_secret', value: 'token', description: '' },
    ]);
    assert.deepEqual(
      serverBodyFromForm(form).issues.map((issue) => issue.path),
      ['body.env.API_BASE'],
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
