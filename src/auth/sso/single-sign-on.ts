/**
 * Single sign-on against an external OpenID Connect provider (authorization
 * code flow with PKCE S256, `state` and `nonce`; OpenID Connect Core §3.1),
 * beside the gateway's own passwords. Optional: nothing exists unless
 * PORTCULLIS_SSO_ISSUER is set.
 *
 *   GET /sso/start?next=/path   → sealed state cookie, redirect to the provider
 *   GET /sso/callback?code=…    → checks, account, group roles, browser session, redirect to next
 *
 * Every failure ends on a small HTML page, changes nothing, and clears the
 * state cookie: a round trip is single-use.
 */
import * as oidc from 'openid-client';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../../config/runtime-config.ts';
import type { RouteModule } from '../../ingress/create-app.ts';
import { createSealedBox } from '../../session/sealed-box.ts';
import { GatewayError, toGatewayError } from '../../shared/errors.ts';
import type { Store } from '../../store/store.ts';
import type { AuditLog } from '../../audit/audit-log.ts';
import type { SignIn } from '../sign-in/sign-in.ts';
import { createIdentityProvider } from './identity-provider.ts';
import { resolveSsoUser } from './sso-account.ts';
import type { SsoClaims } from './sso-account.ts';
import { sendSsoErrorPage } from './sso-error-page.ts';
import { createSsoStateCookie, safeNext, SSO_STATE_TTL_SECONDS } from './sso-state.ts';
import type { SsoState } from './sso-state.ts';

export const SSO_START_PATH = '/sso/start';
export const SSO_CALLBACK_PATH = '/sso/callback';

/** The part of the sign-in pages' browser sessions this module needs. */
export type SsoSignIn = Pick<SignIn, 'currentSession' | 'startSession' | 'endSession'>;

export interface SingleSignOn {
  readonly label: string;
  readonly routeModule: RouteModule;
  /** The link behind "Sign in with <label>": starts SSO, then returns to `next` (a same-origin path). */
  loginUrl(next?: string): string;
}

export interface SingleSignOnDeps {
  config: RuntimeConfig;
  store: Store;
  signIn: SsoSignIn;
  logger: Logger;
  /** PORTCULLIS_SECRET_KEY: seals the state cookie. */
  secretKey: string;
  /** Records the accounts and memberships sign-ins create, by the person signing in. */
  audit?: Pick<AuditLog, 'actingAs' | 'watch'>;
}

const BASE_SCOPE = 'openid email profile';

export function createSingleSignOn(deps: SingleSignOnDeps): SingleSignOn | undefined {
  const configured = deps.config.sso;
  if (configured === undefined) return undefined;
  const sso = configured;
  const { signIn, logger } = deps;
  const store = deps.audit?.watch(deps.store) ?? deps.store;
  const identityProvider = createIdentityProvider({ sso, logger });
  const stateCookie = createSsoStateCookie(createSealedBox(deps.secretKey), deps.config.publicUrl);
  const redirectUri = `${deps.config.publicUrl}${SSO_CALLBACK_PATH}`;

  async function start(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const next = safeNext((request.query as Record<string, unknown>).next);
    const configuration = await identityProvider.configuration();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state: SsoState = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier,
      next,
      exp: Date.now() + SSO_STATE_TTL_SECONDS * 1000,
    };
    // `groups` is no standard scope: ask for it only where the provider says it exists.
    const groups = configuration.serverMetadata().scopes_supported?.includes('groups') === true;
    const target = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: groups ? `${BASE_SCOPE} groups` : BASE_SCOPE,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: state.state,
      nonce: state.nonce,
    });
    return reply
      .header('set-cookie', stateCookie.set(state))
      .header('cache-control', 'no-store')
      .redirect(target.href, 302);
  }

  async function callback(
    request: FastifyRequest,
    reply: FastifyReply,
    state: SsoState | undefined,
  ): Promise<FastifyReply> {
    if (state === undefined)
      throw new GatewayError(
        'bad_request',
        'This sign-in has expired or was started in another browser. Start again from the sign-in page.',
      );
    const configuration = await identityProvider.configuration();
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    // The token request's redirect_uri is taken from this URL: the public one, never the Host header.
    const currentUrl = new URL(`${redirectUri}${query}`);
    const tokens = await oidc
      .authorizationCodeGrant(configuration, currentUrl, {
        expectedState: state.state,
        expectedNonce: state.nonce,
        pkceCodeVerifier: state.codeVerifier,
        idTokenExpected: true,
      })
      .catch((error: unknown) => {
        throw refusal(error);
      });
    const claims = await claimsOf(configuration, tokens);
    const { user, created } = await resolveSsoUser(
      { store, sso, logger, ...(deps.audit === undefined ? {} : { audit: deps.audit }) },
      claims,
    );
    // A fresh session on every sign-in: whatever session this browser had (maybe another account's) ends.
    if ((await signIn.currentSession(request)) !== undefined)
      await signIn.endSession(request, reply);
    await signIn.startSession(reply, user);
    logger.info({ userId: user.id, created }, 'single sign-on: signed in');
    return reply.header('cache-control', 'no-store').redirect(state.next, 303);
  }

  const routeModule: RouteModule = (app) => {
    app.get(SSO_START_PATH, async (request, reply) => {
      try {
        return await start(request, reply);
      } catch (error) {
        return failed(request, reply, error, '/');
      }
    });
    app.get(SSO_CALLBACK_PATH, async (request, reply) => {
      const state = stateCookie.read(request.headers.cookie, Date.now());
      // Single use: whatever happens next, this browser's round trip is over.
      reply.header('set-cookie', stateCookie.clear());
      try {
        return await callback(request, reply, state);
      } catch (error) {
        return failed(request, reply, error, state?.next ?? '/');
      }
    });
  };

  function failed(
    request: FastifyRequest,
    reply: FastifyReply,
    error: unknown,
    back: string,
  ): FastifyReply {
    const failure = toGatewayError(error);
    if (failure.code === 'internal') logger.error({ err: error }, 'single sign-on failed');
    else
      logger.warn(
        { err: error, path: request.url.split('?')[0], reason: failure.code },
        `single sign-on refused: ${failure.message}`,
      );
    // The password sign-in page, which returns to where the person was going.
    const signInPage = back === '/' ? '/login' : `/login?next=${encodeURIComponent(back)}`;
    return sendSsoErrorPage(reply, failure, { signIn: signInPage });
  }

  return {
    label: sso.label,
    routeModule,
    loginUrl(next) {
      const target = safeNext(next);
      return target === '/'
        ? SSO_START_PATH
        : `${SSO_START_PATH}?next=${encodeURIComponent(target)}`;
    },
  };
}

/**
 * ID token claims, completed from the UserInfo endpoint for the ones it lacks:
 * providers that follow OpenID Connect Core §5.4 strictly put scope-requested
 * claims (email, groups) only in UserInfo.
 */
async function claimsOf(
  configuration: oidc.Configuration,
  tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers,
): Promise<SsoClaims> {
  const idToken = tokens.claims();
  if (idToken === undefined)
    throw new GatewayError('bad_request', 'The identity provider returned no ID token.');
  const complete =
    idToken.email !== undefined &&
    idToken.email_verified !== undefined &&
    idToken.groups !== undefined;
  if (complete || configuration.serverMetadata().userinfo_endpoint === undefined) return idToken;
  // The subject must match the ID token's (OpenID Connect Core §5.3.2); openid-client checks it.
  const userInfo = await oidc
    .fetchUserInfo(configuration, tokens.access_token, idToken.sub)
    .catch((error: unknown) => {
      throw refusal(error);
    });
  return {
    sub: idToken.sub,
    email: idToken.email ?? userInfo.email,
    email_verified: idToken.email_verified ?? userInfo.email_verified,
    name: idToken.name ?? userInfo.name,
    groups: idToken.groups ?? userInfo.groups,
  };
}

/** What a failed exchange with the provider means for the person signing in. */
function refusal(error: unknown): GatewayError {
  if (error instanceof oidc.AuthorizationResponseError) {
    const code = /^[a-z_]{1,64}$/.test(error.error) ? error.error : 'error';
    return new GatewayError(
      code === 'access_denied' ? 'forbidden' : 'bad_request',
      `The identity provider did not sign you in (${code}).`,
      { cause: error },
    );
  }
  if (error instanceof oidc.ResponseBodyError) {
    const code = /^[a-z_]{1,64}$/.test(error.error) ? error.error : 'error';
    return new GatewayError(
      'bad_request',
      `The identity provider refused to complete this sign-in (${code}); it may have been used already. Start again from the sign-in page.`,
      { cause: error },
    );
  }
  if (error instanceof TypeError && !(error instanceof oidc.ClientError))
    return new GatewayError(
      'identity_provider_unavailable',
      'The single sign-on provider cannot be reached right now. Try again in a moment, or sign in with a password.',
      { cause: error },
    );
  return new GatewayError(
    'bad_request',
    'The identity provider’s answer does not match the sign-in this browser started. Start again from the sign-in page.',
    { cause: error },
  );
}
