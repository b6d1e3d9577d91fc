import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { SsoConfig } from '../../config/runtime-config.ts';
import { GatewayError } from '../../shared/errors.ts';
import { createIdentityProvider } from './identity-provider.ts';

const logger = pino({ level: 'silent' });

function sso(issuer: string): SsoConfig {
  return {
    issuer,
    clientId: 'gw',
    clientSecret: 's',
    label: 'ID',
    emailDomains: [],
    groupRoles: [],
  };
}

/** A provider whose discovery document is broken, counting the attempts. */
async function brokenProvider(): Promise<{
  issuer: string;
  attempts: () => number;
  close(): void;
}> {
  let attempts = 0;
  const server = http.createServer((_request, response) => {
    attempts += 1;
    response.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    issuer: `http://127.0.0.1:${port}`,
    attempts: () => attempts,
    close: () => server.close(),
  };
}

describe('createIdentityProvider', () => {
  it('refuses an issuer that is not http(s)', () => {
    for (const issuer of ['file:///etc/passwd', 'ftp://id.example', 'javascript:alert(1)'])
      assert.throws(() => createIdentityProvider({ sso: sso(issuer), logger }), /http\(s\) URL/);
  });

  it('answers identity_provider_unavailable while discovery fails, and retries only after a pause', async () => {
    const broken = await brokenProvider();
    let now = 0;
    try {
      const provider = createIdentityProvider({ sso: sso(broken.issuer), logger, now: () => now });
      const unavailable = (error: unknown) =>
        error instanceof GatewayError && error.code === 'identity_provider_unavailable';
      await assert.rejects(provider.configuration(), unavailable);
      assert.equal(broken.attempts(), 1);
      now = 1_000;
      await assert.rejects(provider.configuration(), unavailable);
      assert.equal(broken.attempts(), 1, 'no new attempt within the pause');
      now = 10_000;
      await assert.rejects(provider.configuration(), unavailable);
      assert.equal(broken.attempts(), 2);
    } finally {
      broken.close();
    }
  });
});
