/**
 * mcp-remote, a real third-party OAuth client, against the gateway: it
 * discovers the protected resource and the authorization server, registers
 * with DCR, opens "the browser" (a script that signs in and answers the real
 * consent page, then calls mcp-remote's loopback callback), exchanges the code
 * with PKCE and calls the MCP endpoint with the access token. Run both as
 * `mcp-remote-client` (connect and list) and as the `mcp-remote` stdio proxy
 * driven by the SDK client, in both protocol eras.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';
import { browserEnvironment, createScriptedBrowser } from '../support/scripted-browser.ts';
import type { ScriptedBrowser } from '../support/scripted-browser.ts';
import { resultText } from '../support/sdk-client.ts';

const MCP_REMOTE = path.resolve(import.meta.dirname, '../../node_modules/mcp-remote/dist');
const MEMBER = { email: 'member@acme.test', password: 'mcp-remote-member-password' };
const FIXTURE_TOOLS = ['test_simple_text', 'test_error_handling', 'test_custom_headers'];

interface Harness {
  gateway: TestGateway;
  browser: ScriptedBrowser;
  /** The environment for mcp-remote: the scripted browser and a private token store. */
  env: Record<string, string>;
  configDir: string;
}

/** A gateway, the fixture upstream and a scripted browser; returns the request records. */
async function withHarness(
  approve: boolean,
  body: (harness: Harness) => Promise<void>,
): Promise<RequestRecord[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mcp-remote-oauth-'));
  const upstream = await startFixtureServer({ era: 'dual' });
  const gateway = await startTestGateway({
    servers: [{ id: 'fixture', url: upstream.url }],
    users: [{ ...MEMBER, role: 'member' }],
  });
  const browser = await createScriptedBrowser(dir, { ...MEMBER, approve });
  const configDir = path.join(dir, 'mcp-auth');
  const env = { ...browserEnvironment(browser, process.env), MCP_REMOTE_CONFIG_DIR: configDir };
  try {
    await body({ gateway, browser, env, configDir });
    return await gateway.closeAndReadRecords();
  } finally {
    await browser.kill();
    await gateway.close();
    await upstream.close();
    await rm(dir, { recursive: true, force: true });
  }
}

interface Exit {
  code: number | null;
  output: string;
}

/**
 * Runs `mcp-remote-client` with this Node (its shebang may find an older one); kills it at the
 * limit. Its stdin stays open: it shuts down as soon as stdin ends, before listing anything.
 */
function runClient(url: string, env: Record<string, string>): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(MCP_REMOTE, 'client.js'), url, '--allow-http', '--auth-timeout', '30'],
      { env, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(kill, 45_000);
    // A test runner timeout must not leave it holding its callback port.
    process.once('exit', kill);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      process.removeListener('exit', kill);
      resolve({ code, output });
    });
  });
}

/** The tool names of the `Tools: {…}` result mcp-remote-client logs. */
function listedTools(output: string): string[] {
  const match = /\] Tools: (\{[\s\S]*?\n\})\n/.exec(output);
  assert.ok(match, `a tools list in the output:\n${output}`);
  return (JSON.parse(match[1]!) as { tools: { name: string }[] }).tools.map((tool) => tool.name);
}

interface StoredTokens {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_at?: number;
}

/** The file where mcp-remote stored its tokens (`<hash>_tokens.json`), if it stored any. */
async function tokensFile(configDir: string): Promise<string | undefined> {
  const files: string[] = [];
  for (const entry of await readdir(configDir, { recursive: true }).catch(() => [])) {
    if (String(entry).endsWith('_tokens.json')) files.push(path.join(configDir, String(entry)));
  }
  assert.ok(files.length <= 1, `one token file: ${files.join(', ')}`);
  return files[0];
}

async function storedTokens(configDir: string): Promise<StoredTokens | undefined> {
  const file = await tokensFile(configDir);
  return file === undefined
    ? undefined
    : (JSON.parse(await readFile(file, 'utf8')) as StoredTokens);
}

function assertUserRecords(records: RequestRecord[], method: string, era: 'legacy' | 'modern') {
  const calls = records.filter((record) => record.method === method);
  assert.ok(calls.length >= 1, `a ${method} record: ${JSON.stringify(records)}`);
  for (const call of calls) {
    assert.equal(call.principalKind, 'user');
    assert.equal(call.era, era);
    assert.equal(call.status, 'ok');
  }
}

/** Connects the SDK client to `mcp-remote` (stdio proxy) and runs `body`; closes and kills it. */
async function viaProxy(
  harness: Harness,
  args: string[],
  body: (client: Client) => Promise<void>,
): Promise<void> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      path.join(MCP_REMOTE, 'proxy.js'),
      harness.gateway.endpoint('fixture'),
      '--allow-http',
      '--auth-timeout',
      '30',
      ...args,
    ],
    env: harness.env,
    stderr: 'pipe',
  });
  let log = '';
  transport.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
  const client = new Client({ name: 'e2e-via-mcp-remote', version: '1.0.0' }, { capabilities: {} });
  try {
    await client.connect(transport);
    await body(client);
  } catch (error) {
    throw new Error(`${String(error)}\nmcp-remote:\n${log}`, { cause: error });
  } finally {
    const pid = transport.pid;
    await client.close();
    if (pid !== null) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // It exited with its stdin.
      }
    }
  }
}

describe('mcp-remote signs in to the gateway with OAuth', () => {
  it('mcp-remote-client registers, signs in through the real pages and lists the tools; a second run reuses the token', async () => {
    const records = await withHarness(true, async ({ gateway, browser, env, configDir }) => {
      const first = await runClient(gateway.endpoint('fixture'), env);
      assert.equal(first.code, 0, first.output);
      const tools = listedTools(first.output);
      for (const name of FIXTURE_TOOLS) assert.ok(tools.includes(name), name);

      const events = await browser.events();
      assert.deepEqual(
        events.map((entry) => entry.event),
        ['opened', 'redirected', 'delivered'],
        JSON.stringify(events),
      );
      const authorize = new URL(events[0]!.url!);
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
      assert.equal(authorize.searchParams.get('resource'), gateway.endpoint('fixture'));
      const callback = new URL(events[1]!.url!);
      assert.equal(callback.pathname, '/oauth/callback');
      assert.ok(callback.searchParams.get('code'));
      assert.equal(callback.searchParams.get('iss'), gateway.url);
      assert.equal(events[2]!.status, 200);

      // RFC 9068 access token bound to this one resource (RFC 8707).
      const tokens = await storedTokens(configDir);
      assert.ok(tokens, 'mcp-remote stored the tokens');
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      assert.equal(decodeProtectedHeader(tokens.access_token).typ, 'at+jwt');
      const claims = decodeJwt(tokens.access_token);
      assert.equal(claims.iss, gateway.url);
      assert.equal(claims.aud, gateway.endpoint('fixture'));
      assert.match(String(claims.scope), /(^| )mcp( |$)/);
      assert.ok(tokens.refresh_token, 'a refresh token for offline_access');

      const second = await runClient(gateway.endpoint('fixture'), env);
      assert.equal(second.code, 0, second.output);
      assert.ok(listedTools(second.output).includes('test_simple_text'));
      assert.equal((await browser.events()).length, events.length, 'no second sign-in');
    });
    assertUserRecords(records, 'tools/list', 'legacy');
  });

  it('mcp-remote refreshes an expired access token with the rotated refresh token, without the browser', async () => {
    const records = await withHarness(true, async ({ gateway, browser, env, configDir }) => {
      const first = await runClient(gateway.endpoint('fixture'), env);
      assert.equal(first.code, 0, first.output);
      const signedIn = await storedTokens(configDir);
      assert.ok(signedIn?.refresh_token, 'a refresh token after sign-in');
      // The client's clock says the access token has expired: it must refresh before connecting.
      const file = (await tokensFile(configDir))!;
      await writeFile(file, JSON.stringify({ ...signedIn, expires_at: Date.now() - 60_000 }));

      const second = await runClient(gateway.endpoint('fixture'), env);
      assert.equal(second.code, 0, second.output);
      assert.match(second.output, /Refreshed the access token/);
      assert.ok(listedTools(second.output).includes('test_simple_text'));
      assert.equal((await browser.events()).length, 3, 'the browser opened only for the sign-in');
      const refreshed = await storedTokens(configDir);
      assert.ok(refreshed?.refresh_token);
      assert.notEqual(refreshed.access_token, signedIn.access_token);
      assert.notEqual(refreshed.refresh_token, signedIn.refresh_token, 'refresh tokens rotate');
      assert.equal(decodeJwt(refreshed.access_token).aud, gateway.endpoint('fixture'));
    });
    assertUserRecords(records, 'tools/list', 'legacy');
  });

  it('mcp-remote as a stdio proxy lets the SDK client list and call a tool as the member', async () => {
    const records = await withHarness(true, async (harness) => {
      await viaProxy(harness, [], async (client) => {
        const { tools } = await client.listTools();
        assert.ok(tools.some((tool) => tool.name === 'test_simple_text'));
        const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
        assert.match(resultText(result), /simple text/i);
      });
    });
    assertUserRecords(records, 'tools/call', 'legacy');
  });

  it('mcp-remote --protocol auto reaches the gateway in the 2026-07-28 era with the OAuth token', async () => {
    const records = await withHarness(true, async (harness) => {
      await viaProxy(harness, ['--protocol', 'auto'], async (client) => {
        const { tools } = await client.listTools();
        assert.ok(tools.some((tool) => tool.name === 'test_custom_headers'));
        // Not test_custom_headers: mcp-remote 0.15.1 does not mirror x-mcp-header arguments into
        // Mcp-Param-* headers in this era, which the gateway rightly refuses (SEP-2243).
        const result = await client.callTool({ name: 'test_simple_text', arguments: {} });
        assert.match(resultText(result), /simple text/i);
      });
    });
    assertUserRecords(records, 'tools/call', 'modern');
    assert.ok(records.some((record) => record.method === 'server/discover'));
  });

  it('when the member denies consent, mcp-remote-client gets no token and no tools', async () => {
    const records = await withHarness(false, async ({ gateway, browser, env, configDir }) => {
      const run = await runClient(gateway.endpoint('fixture'), env);
      assert.notEqual(run.code, 0, run.output);
      assert.doesNotMatch(run.output, /\] Tools: /);
      const redirected = (await browser.events()).find((entry) => entry.event === 'redirected');
      assert.ok(redirected, JSON.stringify(await browser.events()));
      assert.equal(new URL(redirected.url!).searchParams.get('error'), 'access_denied');
      assert.equal((await storedTokens(configDir))?.access_token, undefined);
    });
    assert.ok(records.every((record) => record.httpStatus === 401));
  });
});
