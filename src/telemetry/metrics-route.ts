/**
 * `GET /metrics`: the Prometheus scrape endpoint. With
 * PORTCULLIS_METRICS_TOKEN set, a scrape must present it as a bearer token
 * (Prometheus `authorization: { credentials: … }`); compared in constant
 * time. It is outside the MCP path: no request record, no span.
 */
import crypto from 'node:crypto';
import type { RouteModule } from '../ingress/create-app.ts';
import { GatewayError } from '../shared/errors.ts';
import type { Metrics } from './metrics.ts';
import { PROMETHEUS_CONTENT_TYPE } from './metrics-text.ts';

export interface MetricsRouteOptions {
  readonly metrics: Pick<Metrics, 'render'>;
  /** Required bearer token; undefined leaves the endpoint open. */
  readonly token: string | undefined;
}

const digest = (value: string): Buffer => crypto.createHash('sha256').update(value).digest();

export function isMetricsScrapeAllowed(authorization: unknown, token: string | undefined): boolean {
  if (token === undefined) return true;
  if (typeof authorization !== 'string') return false;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  // Hashing first gives equal lengths, as timingSafeEqual needs, without leaking the token's.
  return match !== null && crypto.timingSafeEqual(digest(match[1]!), digest(token));
}

export function metricsRoute(options: MetricsRouteOptions): RouteModule {
  return (app) => {
    app.get('/metrics', async (request, reply) => {
      if (!isMetricsScrapeAllowed(request.headers.authorization, options.token))
        throw new GatewayError('unauthorized', 'A valid metrics bearer token is required.', {
          headers: { 'www-authenticate': 'Bearer realm="metrics"' },
        });
      return reply
        .code(200)
        .header('cache-control', 'no-store')
        .type(PROMETHEUS_CONTENT_TYPE)
        .send(options.metrics.render());
    });
  };
}
