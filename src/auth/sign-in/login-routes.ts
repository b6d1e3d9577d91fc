/**
 * Dashboard sign-in and sign-out: `GET/POST /login` (`?next=` same-origin
 * paths only) and `POST /logout`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isGatewayError } from '../../shared/errors.ts';
import { loginForm } from './pages/login-form.ts';
import { readForm, refuseCsrf, safeNext, withErrorPage } from './page-context.ts';
import type { PageContext } from './page-context.ts';
import { sendPage } from './page-response.ts';

type LoginRequest = FastifyRequest<{ Querystring: { next?: string } }>;

export function registerLoginRoutes(app: FastifyInstance, context: PageContext): void {
  const { signIn, csrf, logger, sso } = context;

  function renderLogin(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    options: { next: string; email?: string; error?: string },
  ) {
    return sendPage(
      reply,
      status,
      'Sign in',
      loginForm({
        heading: 'Sign in',
        action: '/login',
        csrf: csrf.tokenFor(request, reply, undefined),
        hidden: { next: options.next },
        sso: sso === undefined ? undefined : { label: sso.label, href: sso.loginUrl(options.next) },
        email: options.email,
        error: options.error,
      }),
    );
  }

  app.get(
    '/login',
    withErrorPage(logger, async (request: LoginRequest, reply) => {
      const next = safeNext(request.query.next);
      if ((await signIn.currentSession(request)) !== undefined) return reply.redirect(next, 303);
      return renderLogin(request, reply, 200, { next });
    }),
  );

  app.post(
    '/login',
    withErrorPage(logger, async (request: FastifyRequest, reply) => {
      const form = readForm(request);
      const current = await signIn.currentSession(request);
      if (!csrf.verify(request, form, current?.session)) return refuseCsrf(reply);
      const next = safeNext(form.get('next'));
      const email = form.get('email') ?? '';
      try {
        const user = await signIn.checkPassword(email, form.get('password') ?? '', request.ip);
        // A fresh session on every sign-in: a token planted before sign-in never becomes valid.
        if (current !== undefined) await signIn.endSession(request, reply);
        await signIn.startSession(reply, user);
        return reply.redirect(next, 303);
      } catch (error) {
        if (!isGatewayError(error)) throw error;
        if (error.code !== 'unauthorized' && error.code !== 'too_many_requests') throw error;
        void reply.headers(error.headers ?? {});
        return renderLogin(request, reply, error.status, { next, email, error: error.message });
      }
    }),
  );

  app.post(
    '/logout',
    withErrorPage(logger, async (request: FastifyRequest, reply) => {
      const current = await signIn.currentSession(request);
      const form = readForm(request);
      if (!csrf.verify(request, form, current?.session)) return refuseCsrf(reply);
      await signIn.endSession(request, reply);
      const next = safeNext(form.get('next'));
      return reply.redirect(
        next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`,
        303,
      );
    }),
  );
}
