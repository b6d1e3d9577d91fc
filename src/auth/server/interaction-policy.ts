/**
 * oidc-provider's default prompts (login, consent) with two changes.
 *
 * Login: the provider's own session cookie never stands alone. It is
 * usable only while the request also carries the gateway's browser session
 * of the same account, so signing out (or the browser session expiring)
 * ends OAuth sign-ins too, and a browser that switched accounts continues
 * as the new one. The login prompt then resolves at once on the sign-in
 * page when the browser is signed in (one sign-in covers every server).
 *
 * Consent: every client is `native` here (see provider-configuration.ts),
 * and the default policy asks native clients for consent on every
 * authorization. Instead, consent is asked every time only when the
 * redirect URI is not bound to its client: loopback and private-use URIs
 * can be claimed by any app on the device (RFC 8252 §8.6, §8.7). https
 * redirect URIs reuse the remembered (user, client) consent.
 */
import type { IncomingMessage } from 'node:http';
import { interactionPolicy } from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

export interface InteractionPolicyDeps {
  /** The account of the request's browser session, else undefined. */
  currentUserId(req: IncomingMessage): Promise<string | undefined>;
}

/** Fields of oidc-provider's Session that hold its login and per-client authorizations. */
const LOGIN_FIELDS = ['accountId', 'loginTs', 'amr', 'acr', 'transient', 'authorizations'];

/**
 * Empties the provider session's login, persistently (`touched`), so that
 * the sign-in that follows resumes as a fresh login. Otherwise oidc-provider
 * meets a login for another account than its session's on resume and sends
 * the browser to its end-session confirmation, which the gateway does not
 * offer (lib/actions/authorization/resume.js). The per-client authorizations
 * go too: they name grants of the previous account.
 */
function forgetLogin(ctx: KoaContextWithOIDC): void {
  const session = ctx.oidc.session as unknown as Record<string, unknown>;
  for (const field of LOGIN_FIELDS) delete session[field];
  session.touched = true;
}

export function createInteractionPolicy(deps: InteractionPolicyDeps): unknown {
  const { Check, base } = interactionPolicy;
  const policy = base();

  const login = policy.get('login');
  login.checks.add(
    new Check(
      'browser_session_mismatch',
      'the browser is not signed in to the account of the authorization session',
      async (ctx: KoaContextWithOIDC) => {
        const accountId = ctx.oidc.session.accountId;
        // No provider session is `no_session`'s case; a login just completed is this request's own.
        if (accountId === undefined || ctx.oidc.result?.login !== undefined) {
          return Check.NO_NEED_TO_PROMPT;
        }
        if ((await deps.currentUserId(ctx.req)) === accountId) return Check.NO_NEED_TO_PROMPT;
        forgetLogin(ctx);
        return Check.REQUEST_PROMPT;
      },
    ),
  );

  const consent = policy.get('consent');
  consent.checks.remove('native_client_prompt');
  consent.checks.add(
    new Check(
      'unbound_redirect_uri_prompt',
      'loopback and private-use redirect URIs need consent on every authorization',
      'interaction_required',
      (ctx: KoaContextWithOIDC) => {
        const redirectUri = ctx.oidc.params.redirect_uri;
        if (
          (typeof redirectUri === 'string' && redirectUri.startsWith('https://')) ||
          ctx.oidc.result?.consent !== undefined
        ) {
          return Check.NO_NEED_TO_PROMPT;
        }
        return Check.REQUEST_PROMPT;
      },
    ),
    0,
  );
  return policy;
}
