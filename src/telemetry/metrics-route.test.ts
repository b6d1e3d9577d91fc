import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createApp } from '../ingress/create-app.ts';
import { createOriginGuard } from '../ingress/origin-guard.ts';
import { createMetrics } from './metrics.ts';
import { isMetricsScrapeAllowed, metricsRoute } from './metrics-route.ts';

const TOKEN = 'scrape-token-0123456789';

function app(token: string | undefined) {
  return createApp({
    logger: pino({ level: 'silent' }),
    bodyLimit: 1024,
    originGuard: createOriginGuard('http://127.0.0.1:8080', []),
    mcpHandler: async (_request, reply) => void reply.code(200).send(),
    isReady: async () => true,
    routeModules: [metricsRoute({ metrics: createMetrics(), token })],
  });
}

describe('/metrics', () => {
  it('serves the text exposition format 0.0.4 when no token is configured', async () => {
    const response = await app(undefined).inject({ url: '/metrics' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(response.body, /^# HELP portcullis_mcp_requests_total /);
  });

  it('refuses a scrape without the configured bearer token, with a JSON error and a challenge', async () => {
    for (const authorization of [
      undefined,
      'Bearer wrong-token-0123456789',
      `Basic ${TOKEN}`,
      TOKEN,
    ]) {
      const response = await app(TOKEN).inject({
        url: '/metrics',
        headers: authorization === undefined ? {} : { authorization },
      });
      assert.equal(response.statusCode, 401, String(authorization));
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="metrics"');
      assert.equal(response.json().error, 'unauthorized');
      assert.doesNotMatch(response.body, /portcullis_mcp/);
    }
  });

  it('serves a scrape that presents the token', async () => {
    const response = await app(TOKEN).inject({
      url: '/metrics',
      headers: { authorization: `bearer ${TOKEN}` },
    });
    assert.equal(response.statusCode, 200);
  });

  it('compares tokens of any length without throwing', () => {
    assert.equal(isMetricsScrapeAllowed('Bearer x', TOKEN), false);
    assert.equal(isMetricsScrapeAllowed(`Bearer ${TOKEN}x`, TOKEN), false);
    assert.equal(isMetricsScrapeAllowed(['Bearer', TOKEN], TOKEN), false);
    assert.equal(isMetricsScrapeAllowed(undefined, undefined), true);
  });
});
