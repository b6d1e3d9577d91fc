/**
 * The composition root: the only place where adapters are chosen, parts are
 * wired together and side effects start (HOUSE_STYLE rule 3).
 */
import path from 'node:path';
import pino from 'pino';
import type { Logger } from 'pino';
import net from 'node:net';
import { createAccessTokenVerifier } from './auth/resource/access-tokens.ts';
import { createApiKeyIndex } from './auth/resource/api-keys.ts';
import type { ResourceServerDeps } from './auth/resource/authenticate.ts';
import { createMemberAccess } from './auth/resource/member-access.ts';
import { protectedResourceRoutes } from './auth/resource/protected-resource.ts';
import { createAdminApi } from './admin/admin-api.ts';
import { createAuditLog } from './audit/audit-log.ts';
import { grantCovers } from './auth/server/grant-resources.ts';
import { createAuthorizationServer } from './auth/server/authorization-server.ts';
import { createFirstRunSetup } from './auth/sign-in/first-run-setup.ts';
import { sealLegacySecrets } from './auth/upstream-credentials/reseal-secrets.ts';
import { createVault } from './auth/upstream-credentials/vault.ts';
import { createConnections } from './auth/upstream-credentials/connections.ts';
import { createUpstreamClientMetadataRoute } from './auth/upstream-oauth/client-metadata-route.ts';
import { createUpstreamOAuthClient } from './auth/upstream-oauth/upstream-oauth-client.ts';
import { createIdentityForwarding } from './auth/upstream-credentials/identity-forwarding.ts';
import { createSignIn } from './auth/sign-in/sign-in.ts';
import { createSignInRoutes } from './auth/sign-in/sign-in-routes.ts';
import { createSingleSignOn } from './auth/sso/single-sign-on.ts';
import { applyConfig } from './config/apply-config.ts';
import { formatApplySummary } from './config/apply-summary.ts';
import { loadConfigFile } from './config/load-config-file.ts';
import type { RuntimeConfig } from './config/runtime-config.ts';
import { loadOrCreateSecretKey } from './config/secret-key.ts';
import { createApp } from './ingress/create-app.ts';
import { createOriginGuard } from './ingress/origin-guard.ts';
import { createRouteTable } from './ingress/route-table.ts';
import { createEraBridge } from './mcp/bridge/era-bridge.ts';
import { createStreamHub } from './mcp/legacy/stream-hub.ts';
import { createMcpEndpoint, recordRejection } from './mcp/mcp-endpoint.ts';
import { createPendingClientRequests } from './session/client-requests.ts';
import { createLegacySessions } from './session/legacy-session.ts';
import { createSealedBox } from './session/sealed-box.ts';
import { createUpstreamSessionPool, serverKeyOf } from './session/upstream-sessions.ts';
import type { UpstreamSession } from './session/upstream-sessions.ts';
import { createStore } from './store/create-store.ts';
import { storeOptionsFromConfig } from './store/store-options.ts';
import { createRecordWriter } from './telemetry/record-writer.ts';
import { openRecordSpool } from './telemetry/open-record-spool.ts';
import { createCaptureInterceptors } from './telemetry/capture-interceptor.ts';
import { skipUncapturedServers } from './telemetry/capture-filter.ts';
import { createRecordRetention } from './telemetry/record-retention.ts';
import { createRedactor } from './telemetry/redaction.ts';
import type { RequestRecord } from './telemetry/request-record.ts';
import { createMetrics } from './telemetry/metrics.ts';
import { metricsRoute } from './telemetry/metrics-route.ts';
import { stdioSource } from './telemetry/metrics-sources.ts';
import { createOtlpTracing } from './telemetry/otlp-tracing.ts';
import { createEraCache } from './upstream/era-cache.ts';
import { createAddressGuard } from './upstream/ssrf-guard.ts';
import { createUpstreamRegistry } from './upstream/upstream-registry.ts';
import { createUsageLimits } from './policy/usage-limits.ts';
import { createConfirmation } from './policy/confirmation.ts';
import { createSecurityInterceptors } from './policy/security-interceptors.ts';
import { createToolCatalogue } from './policy/security-tool-catalogue.ts';
import { createConfigNotices } from './shared-state/config-notices.ts';
import { createGrantRevocationNotices } from './shared-state/grant-revocation-notices.ts';
import { createSharedPorts } from './shared-state/shared-ports.ts';
import { createSharedState } from './shared-state/shared-state.ts';
import { createInstanceRelay } from './shared-state/relay/create-instance-relay.ts';
import { createPolicySource } from './policy/policy-source.ts';
import { createMemberEnvReader } from './auth/upstream-credentials/member-secrets.ts';
import { createDashboard } from './ingress/dashboard-route.ts';

export interface Gateway {
  /** Base URL the gateway listens on (the public URL may differ behind a proxy). */
  readonly url: string;
  readonly publicUrl: string;
  readonly logger: Logger;
  /** Re-reads servers and API keys from the store (after `apply`). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  config: RuntimeConfig;
  /** Environment that `*_env` references in the declarative config resolve against. */
  env?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
}

const UPSTREAM_SESSION_IDLE_MS = 10 * 60_000;
/** The dashboard as `npm run build` leaves it. */
const DASHBOARD_DIST = path.join(import.meta.dirname, '..', 'dashboard', 'dist');

/**
 * The OAuth issuer must be known before the first route exists, so with
 * port 0 a free port is picked first (it could be taken in between; only
 * tests and throwaway runs ask for port 0).
 */
function pickFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function withListenPort(config: RuntimeConfig): Promise<RuntimeConfig> {
  if (config.port !== 0) return config;
  const port = await pickFreePort(config.host);
  const publicUrl = config.publicUrl.endsWith(':0')
    ? `${config.publicUrl.slice(0, -1)}${port}`
    : config.publicUrl;
  return Object.freeze({ ...config, port, publicUrl });
}
const ERA_HORIZON_MS = 10 * 60_000;

export async function startGateway(options: StartOptions): Promise<Gateway> {
  const config = await withListenPort(options.config);
  const env = options.env ?? {};
  const logger =
    options.logger ?? pino({ level: config.logLevel, base: { service: 'portcullis' } });

  const secretKey = await loadOrCreateSecretKey(config, (message) => logger.warn(message));
  const guard = createAddressGuard(config.upstreamAllowPrivate);
  if (guard.opensPrivateRanges) {
    logger.warn(
      { allow: config.upstreamAllowPrivate },
      'SSRF guard: private/loopback upstream addresses are allowlisted (PORTCULLIS_UPSTREAM_ALLOW_PRIVATE); use this only for local development or trusted networks',
    );
  }
  const originGuard = createOriginGuard(config.publicUrl, config.allowedOrigins);
  if (originGuard.isOpen)
    logger.warn(
      'PORTCULLIS_ALLOWED_ORIGINS contains "*": any browser origin may call MCP endpoints',
    );

  const vault = createVault({ secretKey, previousSecretKeys: config.previousSecretKeys });
  // Memory on one instance, Redis when PORTCULLIS_REDIS_URL is set; an unreachable Redis stops the start.
  const shared = createSharedState({ redisUrl: config.redisUrl, logger });
  await shared.redis?.client();
  const sharedPorts = await createSharedPorts(shared, logger);
  const store = await createStore(storeOptionsFromConfig(config));
  await store.migrate();
  for (const tally of await sealLegacySecrets(store, {
    vault,
    legacySecretKeys: [secretKey, ...config.previousSecretKeys],
  }))
    if (tally.sealed > 0) logger.info(`sealed ${tally.sealed} ${tally.kind} stored in plaintext`);
  if (config.configFile !== undefined) {
    const declared = await loadConfigFile(config.configFile);
    const summary = await applyConfig(store, declared, env, {
      source: config.configFile,
      defaultTimeoutMs: config.upstreamTimeoutMs,
      vault,
    });
    logger.info(
      { file: config.configFile },
      `applied declarative config: ${formatApplySummary(summary)}`,
    );
    for (const warning of summary.warnings) logger.warn({ file: config.configFile }, warning);
  }

  const routes = createRouteTable();
  const apiKeys = createApiKeyIndex();
  const members = createMemberAccess(store);
  // Set once the upstream registry exists; the first reload runs before that.
  const upstreamsRef: { retain?: () => Promise<void> } = {};
  const reload = async (): Promise<void> => {
    members.clear();
    await Promise.all([routes.reload(store), apiKeys.reload(store)]);
    await upstreamsRef.retain?.();
  };
  await reload();
  const configNotices = await createConfigNotices(shared.notices, reload, logger);
  if (routes.servers().length === 0) {
    logger.warn(
      'No MCP servers are configured yet: register them through the API (POST /api/v1/workspaces/<ws>/servers) or declare them in a YAML file and start with --config FILE (or run `portcullis apply -f FILE`); portcullis.example.yaml is a working example.',
    );
  }

  const oauthFetchGuard = createAddressGuard(config.oauthFetchAllowPrivate);
  if (oauthFetchGuard.opensPrivateRanges)
    logger.warn(
      { allow: config.oauthFetchAllowPrivate },
      'OAuth fetches: client metadata documents may come from private/loopback addresses over plain http (PORTCULLIS_OAUTH_FETCH_ALLOW_PRIVATE); use this only for tests and local development',
    );
  const signIn = createSignIn({ config, store, logger, throttle: sharedPorts.loginThrottle });
  const authorizationServer = await createAuthorizationServer({
    config,
    store,
    secretKey,
    vault,
    logger,
    isResource: (workspaceId, serverId) => routes.server(workspaceId, serverId) !== undefined,
    currentUserId: (req) => signIn.currentUserId(req),
    registrationLimits: sharedPorts.registrationLimits,
  });
  const setup = await createFirstRunSetup(store);
  const audit = createAuditLog({ store });
  const sso = createSingleSignOn({ config, store, signIn, logger, secretKey, audit });
  const upstreamOAuthClient = createUpstreamOAuthClient({
    publicUrl: config.publicUrl,
    allowPrivate: config.upstreamAllowPrivate,
  });
  const connections = createConnections({
    store,
    vault,
    oauthClient: upstreamOAuthClient,
    publicUrl: config.publicUrl,
    signIn,
    interactions: authorizationServer.interactions,
    logger,
    leases: sharedPorts.leases,
  });

  const spool = config.recordSpool
    ? await openRecordSpool(config.dataDir, store, logger)
    : undefined;
  const records = createRecordWriter({
    store,
    queueSize: config.recordQueueSize,
    logger,
    ...(spool === undefined ? {} : { spool }),
  });
  const unobservedSink = config.records
    ? skipUncapturedServers(records, (ws, srv) => routes.server(ws, srv))
    : { write: () => undefined };
  const retention = createRecordRetention({
    store,
    retentionDays: config.recordRetentionDays,
    logger,
  });
  retention.start();
  const capture = createCaptureInterceptors(
    createRedactor({ maxBytes: config.recordCaptureMaxBytes, secretKeys: config.redactKeys }),
  );
  // Metrics come from the finished records, written or not.
  const metrics = createMetrics();
  const recordSink = {
    durable: spool !== undefined,
    write: (record: RequestRecord) => {
      metrics.observe(record);
      unobservedSink.write(record);
    },
  };
  const otlp = createOtlpTracing({
    endpoint: config.otlpEndpoint,
    headers: config.otlpHeaders,
    logger,
  });
  if (config.metricsToken === undefined)
    logger.warn(
      '/metrics is open to anyone who reaches the listener (PORTCULLIS_METRICS_TOKEN is unset)',
    );
  const upstreamOptions = {
    log: logger,
    baseEnv: { PATH: env.PATH, HOME: env.HOME },
    vault,
    memberEnv: createMemberEnvReader(store, vault),
    stdio: {
      idleMs: config.stdioIdleTtlSeconds * 1000,
      maxProcesses: config.stdioMaxProcesses,
    },
  };
  const upstreams = createUpstreamRegistry(guard, upstreamOptions);
  upstreamsRef.retain = () => upstreams.retain(routes.servers());
  metrics.watch({
    records: () => records.stats(),
    ...(otlp === undefined ? {} : { spans: () => otlp.exporter.stats() }),
    stdio: stdioSource(
      () => routes.servers(),
      (key) => upstreams.stdioState(key),
    ),
  });
  // Server→client requests and held bridged calls are reached on their instance through the relay.
  const relay = await createInstanceRelay(shared);
  const pendingClientRequests = createPendingClientRequests({
    timeoutMs: config.clientRequestTimeoutMs,
    relay,
    log: logger,
  });
  const streamHub = createStreamHub();
  const endUpstreamSession = (key: string, session: UpstreamSession): Promise<void> => {
    const upstream = upstreams.find(serverKeyOf(key));
    if (upstream === undefined || session.sessionId === null) return Promise.resolve();
    return upstream.terminate({
      sessionId: session.sessionId,
      protocolVersion: session.protocolVersion,
      timeoutMs: 5_000,
    });
  };
  const upstreamSessions = createUpstreamSessionPool({
    idleMs: UPSTREAM_SESSION_IDLE_MS,
    maxEntries: 10_000,
    onExpire: (key, session) => void endUpstreamSession(key, session),
  });
  const sweeper = setInterval(() => upstreamSessions.sweep(), 60_000);
  sweeper.unref();
  const bridge = createEraBridge({
    box: createSealedBox(secretKey),
    inputTimeoutMs: config.clientRequestTimeoutMs,
    horizonMs: ERA_HORIZON_MS,
    relay,
  });
  const tokens = createAccessTokenVerifier({
    issuer: config.publicUrl,
    keys: () => authorizationServer.verificationKeys(),
    isGrantActive: async (grantId, audience) =>
      grantCovers(await store.oauthArtefacts.find('Grant', grantId), audience, new Date()),
  });
  // Every instance forgets a revoked grant's cached tokens at once, not at its next re-check.
  const grantNotices = await createGrantRevocationNotices(
    shared.notices,
    (grantId) => tokens.forgetGrant(grantId),
    logger,
  );
  authorizationServer.onGrantRevoked((grantId) => grantNotices.announce(grantId));
  const resourceServer: ResourceServerDeps = {
    publicUrl: config.publicUrl,
    apiKeys,
    tokens,
    members,
  };
  // Capabilities first after capture: later interceptors see upstream tool names and only what a member may use.
  const policies = createPolicySource({
    store,
    members,
    notices: sharedPorts.policyNotices,
    log: logger,
  });
  // Clients watching a server hear of a policy changed on another instance within a second.
  const policyRefresh = setInterval(() => void policies.refresh(), 1000);
  policyRefresh.unref();

  const security = createSecurityInterceptors({
    policyOf: (server) => policies.current(server),
    members,
    catalogue: createToolCatalogue(),
    storedTool: async (server, name) =>
      (await store.toolPins.find(server.workspaceId, server.id, name))?.seenDefinition,
    confirmation: createConfirmation({
      box: createSealedBox(secretKey),
      usedOnce: shared.usedOnce,
    }),
  });
  // Usage limits last: only requests that would reach the upstream are counted.
  const usageLimits = createUsageLimits({ store, counters: sharedPorts.usageCounters });
  const identity = createIdentityForwarding({
    issuer: config.publicUrl,
    signingKey: authorizationServer.activeSigningKey(),
    users: store.users,
  });
  const mcpHandler = createMcpEndpoint({
    sessions: createLegacySessions(
      createSealedBox(secretKey),
      sharedPorts.revocations,
      config.sessionTtlSeconds,
    ),
    upstreamSessions,
    pendingClientRequests,
    streamHub,
    eraCache: createEraCache(ERA_HORIZON_MS),
    bridge,
    log: logger,
    routes,
    resourceServer,
    upstreams,
    records: recordSink,
    // Capture first: it records arguments as sent and every answer, refusals included.
    interceptors: [...(config.records ? [capture] : []), policies, security, usageLimits],
    ...(otlp === undefined ? {} : { tracing: otlp.tracing }),
    defaultTimeoutMs: config.upstreamTimeoutMs,
    identity,
    upstreamOAuth: connections.credentials,
  });

  const dashboard = createDashboard({ distDir: DASHBOARD_DIST, logger });
  let closing = false;
  let closed: Promise<void> | undefined;
  const app = createApp({
    logger,
    bodyLimit: config.bodyLimit,
    trustProxy: config.trustProxy,
    originGuard,
    mcpHandler,
    onMcpRejection: (request, error, params) =>
      recordRejection({ routes, records: recordSink }, request, error, params),
    navigationFallback: dashboard.serveNavigation,
    routeModules: [
      dashboard.routes,
      metricsRoute({ metrics, token: config.metricsToken }),
      authorizationServer.routeModule,
      protectedResourceRoutes(config.publicUrl),
      createSignInRoutes({
        config,
        // Setup and accepted invitations create users and members: audited, by the person.
        store: audit.watch(store),
        audit,
        signIn,
        interactions: authorizationServer.interactions,
        logger,
        setup,
        sso,
        upstreamConsent: connections.consent,
      }),
      connections.routeModule,
      createUpstreamClientMetadataRoute({ publicUrl: config.publicUrl }),
      ...(sso === undefined ? [] : [sso.routeModule]),
      createAdminApi({
        config,
        store,
        signIn,
        logger,
        onCredentialsChanged: () => configNotices.changed(),
        onGrantRevoked: (grantId) => grantNotices.announce(grantId),
        policies,
        vault,
        connections,
        audit,
        usageCounters: sharedPorts.usageCounters,
        serverStatus: (key) => upstreams.stdioState(key),
        memberProcesses: {
          states: (key) => upstreams.memberStates(key),
          restart: (key, userId) => upstreams.restartMember(key, userId),
        },
        // Test connection gets throwaway upstreams; live capabilities the caller's own, as MCP calls do.
        upstreamProbe: {
          scratch: () => createUpstreamRegistry(guard, upstreamOptions),
          live: (server, principal) =>
            connections.credentials.upstreamFor(
              identity.upstreamFor(upstreams.get(server, principal), server, principal),
              server,
              principal,
            ),
        },
      }),
    ],
    isReady: async () => {
      if (closing) return false;
      await store.ping();
      return true;
    },
  });
  const address = await app.listen({ host: config.host, port: config.port });
  const publicUrl = config.publicUrl;
  const setupLink = setup.link(publicUrl);
  if (setupLink !== undefined)
    logger.warn(
      { setup: setupLink },
      `No users yet: finish first-run setup (create the first administrator) at ${setupLink}`,
    );

  async function shutdown(): Promise<void> {
    closing = true;
    // Long-lived streams never finish by themselves: end them after the grace period.
    streamHub.closeAll();
    bridge.close();
    const force = setTimeout(() => app.server.closeAllConnections(), config.shutdownGraceMs);
    force.unref();
    // Keep-alive connections busy when close() started become idle later; let them go as they do.
    const idle = setInterval(() => app.server.closeIdleConnections(), 50);
    await app.close();
    clearTimeout(force);
    clearInterval(idle);
    clearInterval(sweeper);
    clearInterval(policyRefresh);
    pendingClientRequests.clear();
    await relay.close();
    // Upstream sessions this instance opened end with it.
    await Promise.allSettled(
      upstreamSessions.drain().map(({ key, session }) => endUpstreamSession(key, session)),
    );
    await upstreams.closeAll();
    await authorizationServer.close();
    await upstreamOAuthClient.close();
    await retention.stop();
    await records.close();
    spool?.close();
    await otlp?.exporter.close();
    await configNotices.close();
    await grantNotices.close();
    await sharedPorts.close();
    await shared.close();
    await store.close();
  }

  return {
    url: address,
    publicUrl,
    logger,
    reload,
    close() {
      // Every caller waits for the same shutdown, the first one or a later one.
      closed ??= shutdown();
      return closed;
    },
  };
}
