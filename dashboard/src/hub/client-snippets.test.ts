import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  API_KEY_PLACEHOLDER,
  clientGuides,
  clientServerName,
  shellQuote,
} from './client-snippets.ts';

const URL_ = 'https://gw.example.test/acme/github/mcp';
const byId = (id: string) => {
  const guide = clientGuides(URL_, 'GitHub').find((entry) => entry.id === id);
  assert.ok(guide !== undefined, id);
  return guide;
};

describe('client server names', () => {
  it('keeps lowercase letters, digits, "-" and "_" and folds the rest into single dashes', () => {
    assert.equal(clientServerName('GitHub'), 'github');
    assert.equal(clientServerName('My  Linear / Prod!'), 'my-linear-prod');
    assert.equal(clientServerName('Café_tools'), 'cafe_tools');
  });
  it('never yields an empty name or one past 64 characters', () => {
    assert.equal(clientServerName('★★★'), 'mcp-server');
    assert.equal(clientServerName(''), 'mcp-server');
    const long = clientServerName(`${'a'.repeat(63)} b`);
    assert.ok(long.length <= 64 && !long.endsWith('-'), long);
  });
  it('turns hostile markup into a plain name', () => {
    assert.equal(clientServerName('<img src=x onerror=alert(1)>'), 'img-src-x-onerror-alert-1');
  });
});

describe('shell quoting', () => {
  it('leaves URLs and names as they are and quotes anything else', () => {
    assert.equal(shellQuote(URL_), URL_);
    assert.equal(shellQuote('a b'), "'a b'");
    assert.equal(shellQuote("it's"), `'it'"'"'s'`);
    assert.equal(shellQuote('$(rm -rf /)'), "'$(rm -rf /)'");
  });
});

describe('client guides', () => {
  it('gives the exact URL for Claude connectors and a generic bearer header', () => {
    assert.equal(byId('claude').snippet, URL_);
    assert.equal(byId('api-key').snippet, `Authorization: Bearer ${API_KEY_PLACEHOLDER}`);
  });

  it('writes the Claude Code command with the HTTP transport, the name and the URL', () => {
    assert.equal(byId('claude-code').snippet, `claude mcp add --transport http github ${URL_}`);
    assert.equal(
      byId('claude-code').withApiKey?.snippet,
      `claude mcp add --transport http github ${URL_} --header 'Authorization: Bearer ${API_KEY_PLACEHOLDER}'`,
    );
  });

  it('writes Cursor and VS Code files that are valid JSON with the URL byte for byte', () => {
    assert.deepEqual(JSON.parse(byId('cursor').snippet), { mcpServers: { github: { url: URL_ } } });
    assert.deepEqual(JSON.parse(byId('vscode').snippet), {
      servers: { github: { type: 'http', url: URL_ } },
    });
    const cursorKey = JSON.parse(byId('cursor').withApiKey?.snippet ?? '') as {
      mcpServers: { github: { url: string; headers: { Authorization: string } } };
    };
    assert.equal(cursorKey.mcpServers.github.url, URL_);
    assert.equal(
      cursorKey.mcpServers.github.headers.Authorization,
      'Bearer ${env:PORTCULLIS_API_KEY}',
    );
    const vscodeKey = JSON.parse(byId('vscode').withApiKey?.snippet ?? '') as {
      inputs: { id: string; password: boolean }[];
      servers: { github: { headers: { Authorization: string } } };
    };
    assert.equal(vscodeKey.inputs[0]?.password, true);
    assert.equal(
      vscodeKey.servers.github.headers.Authorization,
      `Bearer \${input:${vscodeKey.inputs[0]?.id}}`,
    );
    const desktop = JSON.parse(byId('claude').withApiKey?.snippet ?? '') as {
      mcpServers: { github: { args: string[] } };
    };
    assert.deepEqual(desktop.mcpServers.github.args.slice(0, 3), ['-y', 'mcp-remote', URL_]);
  });

  it('keeps JSON valid and quotes the shell command whatever the name holds', () => {
    const hostile = 'x" }, "evil": { "url": "http://attacker';
    const guides = clientGuides(URL_, hostile);
    const cursor = JSON.parse(guides.find((g) => g.id === 'cursor')?.snippet ?? '') as {
      mcpServers: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(cursor.mcpServers), ['x-evil-url-http-attacker']);
    const code = guides.find((g) => g.id === 'claude-code')?.snippet ?? '';
    assert.doesNotMatch(code, /["$`;]/);
  });
});
