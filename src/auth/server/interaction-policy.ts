/**
 * oidc-provider's default prompts (login, consent) with one change. Every
 * client is `native` here (see provider-configuration.ts), and the default
 * policy asks native clients for consent on every authorization. Instead,
 * consent is asked every time only when the redirect URI is not bound to
 * its client: loopback and private-use URIs can be claimed by any app on
 * the device (RFC 8252 §8.6, §8.7). https redirect URIs reuse the remembered
 * (user, client) consent.
 */
import { interactionPolicy } from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

export function createInteractionPolicy(): unknown {
  const { Check, base } = interactionPolicy;
  const policy = base();
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
