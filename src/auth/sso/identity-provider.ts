/**
 * The external OpenID Connect provider as openid-client sees it: discovered
 * once, lazily again while it is unreachable, so a provider that is down at
 * start never stops the gateway (passwords keep working) and the first
 * sign-in after it recovers succeeds.
 */
import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import type { SsoConfig } from '../../config/runtime-config.ts';
import { GatewayError } from '../../shared/errors.ts';

export interface IdentityProvider {
  /** The discovered configuration; throws `identity_provider_unavailable` while discovery fails. */
  configuration(): Promise<oidc.Configuration>;
}

/** How long a failed discovery is remembered before a sign-in tries again. */
const RETRY_AFTER_MS = 2_000;
const DISCOVERY_TIMEOUT_S = 10;

export function createIdentityProvider(deps: {
  sso: SsoConfig;
  logger: Logger;
  /** For tests: the clock in milliseconds. */
  now?: () => number;
}): IdentityProvider {
  const { sso, logger } = deps;
  const now = deps.now ?? Date.now;
  const issuer = new URL(sso.issuer);
  // The issuer is admin configuration, so private addresses are fine; other schemes are not.
  if (issuer.protocol !== 'https:' && issuer.protocol !== 'http:')
    throw new TypeError(`PORTCULLIS_SSO_ISSUER must be an http(s) URL, not ${issuer.protocol}`);
  const insecure = issuer.protocol === 'http:';
  const execute = insecure ? [oidc.allowInsecureRequests] : [];

  let discovered: oidc.Configuration | undefined;
  let inFlight: Promise<oidc.Configuration> | undefined;
  let failedAt = -Infinity;

  async function discover(): Promise<oidc.Configuration> {
    const found = await oidc.discovery(issuer, sso.clientId, undefined, undefined, {
      execute,
      timeout: DISCOVERY_TIMEOUT_S,
    });
    const metadata = found.serverMetadata();
    const configuration = new oidc.Configuration(
      metadata,
      sso.clientId,
      sso.clientSecret === undefined ? {} : { client_secret: sso.clientSecret },
      clientAuthentication(sso.clientSecret, metadata.token_endpoint_auth_methods_supported),
    );
    configuration.timeout = DISCOVERY_TIMEOUT_S;
    for (const apply of execute) apply(configuration);
    return configuration;
  }

  function start(): Promise<oidc.Configuration> {
    inFlight ??= discover().then(
      (configuration) => {
        discovered = configuration;
        inFlight = undefined;
        logger.info({ issuer: sso.issuer }, 'single sign-on: identity provider discovered');
        return configuration;
      },
      (error: unknown) => {
        inFlight = undefined;
        failedAt = now();
        logger.warn(
          { issuer: sso.issuer, err: error },
          'single sign-on: identity provider discovery failed; retrying at the next sign-in',
        );
        throw unavailable();
      },
    );
    return inFlight;
  }

  function unavailable(): GatewayError {
    return new GatewayError(
      'identity_provider_unavailable',
      'The single sign-on provider cannot be reached right now. Try again in a moment, or sign in with a password.',
    );
  }

  if (insecure && !['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname))
    logger.warn({ issuer: sso.issuer }, 'single sign-on: the identity provider is plain http');
  // Discovered at start; a failure here is logged and retried lazily.
  start().catch(() => undefined);

  return {
    async configuration() {
      if (discovered !== undefined) return discovered;
      if (inFlight !== undefined) return inFlight;
      if (now() - failedAt < RETRY_AFTER_MS) throw unavailable();
      return start();
    },
  };
}

/**
 * OpenID Connect Discovery §3: absent `token_endpoint_auth_methods_supported`
 * means client_secret_basic, so that is the preferred method; post is used
 * when it is the only secret method the provider lists.
 */
function clientAuthentication(
  secret: string | undefined,
  supported: readonly string[] | undefined,
): oidc.ClientAuth {
  if (secret === undefined) return oidc.None();
  if (
    supported === undefined ||
    supported.includes('client_secret_basic') ||
    !supported.includes('client_secret_post')
  )
    return oidc.ClientSecretBasic(secret);
  return oidc.ClientSecretPost(secret);
}
