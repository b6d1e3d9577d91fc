/**
 * First-run setup: `GET/POST /setup?token=…` creates the first instance
 * administrator (and optionally a first workspace they own), then signs them in.
 * The route answers 404 for a wrong or used token and once any user exists.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { newAccountContext } from '../../audit/audit-context.ts';
import { hashPassword } from '../../shared/password-hash.ts';
import { actingAs, passwordProblem, readForm, refuseCsrf, withErrorPage } from './page-context.ts';
import type { PageContext } from './page-context.ts';
import { sendMessage, sendPage } from './page-response.ts';
import { setupPage } from './pages/setup-page.ts';
import type { SetupValues } from './pages/setup-page.ts';

type SetupRequest = FastifyRequest<{ Querystring: { token?: string } }>;

const WORKSPACE_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

function notFound(reply: FastifyReply) {
  return sendMessage(
    reply,
    404,
    'Not found',
    'This setup link is not valid. Setup links work once, and only until the first administrator exists.',
  );
}

function validate(form: URLSearchParams): { values: SetupValues; problem: string | undefined } {
  const values: SetupValues = {
    email: (form.get('email') ?? '').trim(),
    name: (form.get('name') ?? '').trim(),
    workspaceId: (form.get('workspace_id') ?? '').trim(),
    workspaceName: (form.get('workspace_name') ?? '').trim(),
  };
  let problem: string | undefined;
  if (values.email === undefined || !EMAIL.test(values.email) || values.email.length > 254)
    problem = 'Enter a valid email address.';
  else if (values.name !== undefined && values.name.length > 200)
    problem = 'The name must have at most 200 characters.';
  else if (values.workspaceId !== '' && !WORKSPACE_ID.test(values.workspaceId ?? ''))
    problem =
      'The workspace id must be 1–63 lowercase letters, digits, "-" or "_", starting with a letter or digit.';
  else if ((values.workspaceName ?? '').length > 200)
    problem = 'The workspace name must have at most 200 characters.';
  else problem = passwordProblem(form.get('password') ?? '', form.get('confirm') ?? '');
  return { values, problem };
}

export function registerSetupRoutes(app: FastifyInstance, context: PageContext): void {
  const { setup, store, signIn, csrf, logger } = context;

  app.get(
    '/setup',
    withErrorPage(logger, async (request: SetupRequest, reply) => {
      const token = request.query.token ?? '';
      if (!setup.matches(token) || (await store.users.count()) > 0) return notFound(reply);
      return sendPage(
        reply,
        200,
        'Set up Portcullis',
        setupPage({ token, csrf: csrf.tokenFor(request, reply, undefined) }),
      );
    }),
  );

  app.post(
    '/setup',
    withErrorPage(logger, async (request: SetupRequest, reply) => {
      const token = request.query.token ?? '';
      if (!setup.matches(token)) return notFound(reply);
      const form = readForm(request);
      if (!csrf.verify(request, form, undefined)) return refuseCsrf(reply);
      const { values, problem } = validate(form);
      if (problem !== undefined) {
        return sendPage(
          reply,
          400,
          'Set up Portcullis',
          setupPage({
            token,
            csrf: csrf.tokenFor(request, reply, undefined),
            values,
            error: problem,
          }),
        );
      }
      const passwordHash = await hashPassword(form.get('password') ?? '');
      // consume() is synchronous: of two concurrent submissions exactly one gets past it.
      if (!setup.consume(token) || (await store.users.count()) > 0) return notFound(reply);
      const user = await actingAs(context, newAccountContext(values.email ?? ''), () =>
        store.transaction(async (tx) => {
          const created = await tx.users.upsert({
            email: values.email ?? '',
            name: values.name === '' ? null : (values.name ?? null),
            passwordHash,
            isAdmin: true,
          });
          if (values.workspaceId !== undefined && values.workspaceId !== '') {
            await tx.workspaces.upsert({
              id: values.workspaceId,
              name: values.workspaceName === '' ? values.workspaceId : (values.workspaceName ?? ''),
            });
            await tx.members.upsert({
              workspaceId: values.workspaceId,
              userId: created.id,
              role: 'owner',
              serverIds: null,
            });
          }
          return created;
        }),
      );
      logger.info({ event: 'setup.completed', userId: user.id }, 'first administrator created');
      await signIn.startSession(reply, user);
      return reply.redirect('/', 303);
    }),
  );
}
