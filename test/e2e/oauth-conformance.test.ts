/**
 * The official MCP conformance suite's `authorization` command against the
 * gateway's authorization server: AS metadata (RFC 8414, exact issuer, PKCE,
 * CIMD advertised) and an authorization code grant with PKCE, `state`, RFC 9207
 * `iss` and RFC 8707 `resource`, answered through the real sign-in and consent
 * forms by a client registered with DCR (RFC 7591).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFixtureServer } from '../fixtures/fixture-server/http.ts';
import {
  describeUnclean,
  startAuthorizationConformance,
} from '../support/authorization-conformance.ts';
import { freePort } from '../support/free-port.ts';
import type { AuthorizationConformanceResult } from '../support/authorization-conformance.ts';
import { signInAndConsent } from '../support/cookie-jar.ts';
import { deliverRedirect } from '../support/deliver-redirect.ts';
import { startTestGateway } from '../support/gateway.ts';
import type { TestGateway } from '../support/gateway.ts';

const MEMBER = { email: 'member@acme.test', password: 'conformance-member-password' };
const SCENARIOS = ['authorization-server-metadata-endpoint', 'authorization-code-grant'];

/** Registers a public client for the suite's callback through the advertised DCR endpoint. */
async function registerClient(gateway: TestGateway, redirectUri: string): Promise<string> {
  const metadata = (await (
    await fetch(`${gateway.url}/.well-known/oauth-authorization-server`)
  ).json()) as { registration_endpoint?: string };
  assert.ok(metadata.registration_endpoint, 'the metadata advertises a registration endpoint');
  const response = await fetch(metadata.registration_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'MCP conformance suite',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }),
  });
  const body = (await response.json()) as { client_id?: string };
  assert.equal(response.status, 201, JSON.stringify(body));
  assert.ok(body.client_id);
  return body.client_id;
}

/**
 * Runs the suite, answers its authorize URL as `MEMBER` (approving or denying)
 * and delivers the final redirect to its callback.
 */
async function runSuite(
  gateway: TestGateway,
  outDir: string,
  approve: boolean,
): Promise<{ result: AuthorizationConformanceResult; redirect: URL }> {
  const port = await freePort();
  const clientId = await registerClient(gateway, `http://127.0.0.1:${port}/callback`);
  const run = await startAuthorizationConformance({
    issuer: gateway.url,
    clientId,
    resource: gateway.endpoint('fixture'),
    port,
    outDir,
    timeoutMs: 45_000,
  });
  try {
    const authorizeUrl = await run.authorizeUrl;
    const redirect = await signInAndConsent(authorizeUrl, { ...MEMBER, approve });
    assert.equal(await deliverRedirect(redirect), 200, 'the suite accepted the callback');
    return { result: await run.result, redirect: new URL(redirect) };
  } catch (error) {
    run.kill();
    const result = await run.result;
    throw new Error(`${String(error)}\nsuite output:\n${result.stdout}\n${result.stderr}`, {
      cause: error,
    });
  }
}

describe('conformance authorization suite against the gateway', () => {
  let gateway: TestGateway;
  let upstream: Awaited<ReturnType<typeof startFixtureServer>>;
  let outDir: string;

  before(async () => {
    outDir = await mkdtemp(path.join(os.tmpdir(), 'authorization-conformance-'));
    upstream = await startFixtureServer({ era: 'dual' });
    gateway = await startTestGateway({
      servers: [{ id: 'fixture', url: upstream.url }],
      users: [{ ...MEMBER, role: 'member' }],
    });
  });

  after(async () => {
    await gateway?.close();
    await upstream?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('passes every scenario, CIMD advertised, when the member signs in and approves', async () => {
    const { result, redirect } = await runSuite(gateway, outDir, true);
    assert.deepEqual(Object.keys(result.scenarios).sort(), [...SCENARIOS].sort(), result.stdout);
    assert.equal(describeUnclean(result.scenarios), '', result.stdout);
    assert.equal(result.exitCode, 0, result.stdout);
    // RFC 9207: the suite only checks `iss` when present; the gateway must send it.
    assert.equal(redirect.searchParams.get('iss'), gateway.url);
  });

  it('fails the code grant with access_denied, and nothing else, when the member denies', async () => {
    const { result, redirect } = await runSuite(gateway, outDir, false);
    assert.equal(redirect.searchParams.get('error'), 'access_denied');
    assert.equal(redirect.searchParams.get('iss'), gateway.url);
    assert.equal(redirect.searchParams.get('code'), null);
    const grant = result.scenarios['authorization-code-grant'];
    assert.equal(grant?.length, 1, result.stdout);
    assert.equal(grant[0]!.status, 'FAILURE');
    assert.match(grant[0]!.errorMessage ?? '', /access_denied/);
    assert.equal(
      describeUnclean({ metadata: result.scenarios['authorization-server-metadata-endpoint']! }),
      '',
    );
    assert.equal(result.exitCode, 1);
  });
});
