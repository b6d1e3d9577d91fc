/**
 * The authorization server's interaction pages: `GET /interaction/:uid`,
 * `POST /interaction/:uid/login`, `POST /interaction/:uid/consent`.
 * One browser session covers every server: an interaction that asks for a
 * login is finished at once when the browser is already signed in. Consent
 * is shown only to the account the authorization server resumed with, and
 * only when that account may reach every requested server.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isGatewayError } from '../../shared/errors.ts';
import type { BrowserSession, User } from '../../store/model.ts';
import type { InteractionView } from './interactions-port.ts';
import { hijack, readForm, refuseCsrf, withErrorPage } from './page-context.ts';
import type { PageContext } from './page-context.ts';
import { sendMessage, sendPage } from './page-response.ts';
import { consentPage, noAccessPage } from './pages/consent-page.ts';
import { loginForm } from './pages/login-form.ts';
import { html } from './html.ts';

type InteractionRequest = FastifyRequest<{ Params: { uid: string } }>;

export function registerInteractionRoutes(app: FastifyInstance, context: PageContext): void {
  const { interactions, signIn, csrf, store, logger, sso } = context;

  function renderSignIn(
    request: FastifyRequest,
    reply: FastifyReply,
    view: InteractionView,
    status: number,
    options: { email?: string; error?: string; signedInAs?: string } = {},
  ) {
    const lead =
      options.signedInAs === undefined
        ? html`Sign in to continue to <strong>${view.client.name}</strong>.`
        : html`You are signed in as <strong>${options.signedInAs}</strong>, but this request belongs
            to another account. Sign in to continue to <strong>${view.client.name}</strong>.`;
    return sendPage(
      reply,
      status,
      'Sign in',
      loginForm({
        heading: 'Sign in',
        lead,
        action: `/interaction/${view.uid}/login`,
        sso:
          sso === undefined
            ? undefined
            : { label: sso.label, href: sso.loginUrl(`/interaction/${view.uid}`) },
        csrf: csrf.tokenFor(request, reply, undefined),
        email: options.email,
        error: options.error,
      }),
    );
  }

  /** The requested servers this user may not reach (RFC 8707 resources named by the client). */
  async function missingAccess(view: InteractionView, user: User) {
    const missing: { workspaceId: string; serverId: string }[] = [];
    for (const resource of view.resources) {
      const member = await store.members.find(resource.workspaceId, user.id);
      const allowed =
        member !== undefined &&
        (member.serverIds === null || member.serverIds.includes(resource.serverId));
      if (!allowed)
        missing.push({ workspaceId: resource.workspaceId, serverId: resource.serverId });
    }
    return missing;
  }

  async function renderConsent(
    request: FastifyRequest,
    reply: FastifyReply,
    view: InteractionView,
    current: { user: User; session: BrowserSession },
  ) {
    const missing = await missingAccess(view, current.user);
    const common = { view, userEmail: current.user.email, csrf: current.session.csrfToken };
    if (missing.length > 0)
      return sendPage(reply, 403, 'No access', noAccessPage({ ...common, missing }));
    return sendPage(reply, 200, `Allow ${view.client.name}`, consentPage(common));
  }

  app.get(
    '/interaction/:uid',
    withErrorPage(logger, async (request: InteractionRequest, reply) => {
      const view = await interactions.details(request.raw, reply.raw);
      const current = await signIn.currentSession(request);
      if (view.prompt === 'login') {
        if (current === undefined) return renderSignIn(request, reply, view, 200);
        hijack(reply);
        await interactions.finishLogin(request.raw, reply.raw, current.user.id);
        return reply;
      }
      if (current === undefined) return renderSignIn(request, reply, view, 200);
      if (current.user.id !== view.accountId)
        return renderSignIn(request, reply, view, 200, { signedInAs: current.user.email });
      return renderConsent(request, reply, view, current);
    }),
  );

  app.post(
    '/interaction/:uid/login',
    withErrorPage(logger, async (request: InteractionRequest, reply) => {
      const view = await interactions.details(request.raw, reply.raw);
      const form = readForm(request);
      const current = await signIn.currentSession(request);
      if (!csrf.verify(request, form, current?.session)) return refuseCsrf(reply);
      const email = form.get('email') ?? '';
      let user: User;
      try {
        user = await signIn.checkPassword(email, form.get('password') ?? '', request.ip);
      } catch (error) {
        if (!isGatewayError(error)) throw error;
        if (error.code !== 'unauthorized' && error.code !== 'too_many_requests') throw error;
        void reply.headers(error.headers ?? {});
        return renderSignIn(request, reply, view, error.status, { email, error: error.message });
      }
      if (current !== undefined) await signIn.endSession(request, reply);
      await signIn.startSession(reply, user);
      // At the consent prompt the authorization already has this account: show its consent page.
      if (view.prompt === 'consent' && view.accountId === user.id)
        return reply.redirect(`/interaction/${view.uid}`, 303);
      hijack(reply);
      await interactions.finishLogin(request.raw, reply.raw, user.id);
      return reply;
    }),
  );

  app.post(
    '/interaction/:uid/consent',
    withErrorPage(logger, async (request: InteractionRequest, reply) => {
      const view = await interactions.details(request.raw, reply.raw);
      const form = readForm(request);
      const current = await signIn.currentSession(request);
      if (!csrf.verify(request, form, current?.session)) return refuseCsrf(reply);
      const action = form.get('action');
      if (action === 'deny') {
        hijack(reply);
        await interactions.deny(request.raw, reply.raw, 'The user denied access.');
        return reply;
      }
      if (action !== 'approve' || view.prompt !== 'consent')
        return sendMessage(reply, 400, 'Bad request', 'Choose Allow or Deny.');
      if (current === undefined || current.user.id !== view.accountId)
        return renderSignIn(
          request,
          reply,
          view,
          403,
          current === undefined ? {} : { signedInAs: current.user.email },
        );
      const missing = await missingAccess(view, current.user);
      if (missing.length > 0) return renderConsent(request, reply, view, current);
      // Per-user upstream accounts not connected yet: through their consent first, then back.
      const detour = await context.upstreamConsent?.next(view, current.user.id);
      if (detour !== undefined) return reply.redirect(detour, 303);
      hijack(reply);
      await interactions.finishConsent(request.raw, reply.raw, current.user.id);
      return reply;
    }),
  );
}
