/**
 * Invitation links: `GET/POST /invitations/:token`. The token is looked up by
 * its SHA-256 only. Signed in as the invited email → one click to join; an
 * existing account → sign in first; otherwise a sign-up form. Acceptance
 * and membership are one transaction, and `invitations.accept` succeeds
 * once, so a link cannot be used twice even by concurrent submissions.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { newAccountContext } from '../../audit/audit-context.ts';
import type { AuditActor } from '../../audit/audit-context.ts';
import { hashPassword } from '../../shared/password-hash.ts';
import type { BrowserSession, Invitation, User } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';
import { hashToken } from './browser-sessions.ts';
import { html } from './html.ts';
import { actingAs, passwordProblem, readForm, refuseCsrf, withErrorPage } from './page-context.ts';
import type { PageContext } from './page-context.ts';
import { sendMessage, sendPage } from './page-response.ts';
import { joinPage, signUpPage } from './pages/invitation-pages.ts';

type InvitationRequest = FastifyRequest<{ Params: { token: string } }>;

class AlreadyUsed extends Error {}

function sameEmail(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function userActor(user: User): AuditActor {
  return { kind: 'user', id: user.id, email: user.email };
}

function alreadyUsed(reply: FastifyReply): FastifyReply {
  return sendMessage(
    reply,
    410,
    'Invitation already used',
    'This invitation has already been accepted.',
  );
}

/** Inside a transaction: `invitations.accept` succeeds once, so only one acceptance adds the member. */
async function acceptIn(tx: Store, invitation: Invitation, userId: string): Promise<void> {
  if (!(await tx.invitations.accept(invitation.id, new Date()))) throw new AlreadyUsed();
  await tx.members.upsert({
    workspaceId: invitation.workspaceId,
    userId,
    role: invitation.role,
    serverIds: invitation.serverIds,
  });
}

export function registerInvitationRoutes(app: FastifyInstance, context: PageContext): void {
  const { store, signIn, csrf, logger } = context;

  /** The usable invitation of a link, or the page that says why there is none. */
  async function lookUp(
    token: string,
    reply: FastifyReply,
  ): Promise<{ invitation: Invitation; workspaceName: string } | FastifyReply> {
    const invitation =
      token.length >= 16 && token.length <= 256
        ? await store.invitations.findByTokenHash(hashToken(token))
        : undefined;
    if (invitation === undefined)
      return sendMessage(reply, 404, 'Invitation not found', 'This invitation link is not valid.');
    if (invitation.revokedAt !== null)
      return sendMessage(
        reply,
        410,
        'Invitation revoked',
        'This invitation was revoked. Ask for a new one.',
      );
    if (invitation.acceptedAt !== null) return alreadyUsed(reply);
    if (invitation.expiresAt.getTime() <= Date.now())
      return sendMessage(
        reply,
        410,
        'Invitation expired',
        'This invitation has expired. Ask for a new one.',
      );
    const workspace = await store.workspaces.find(invitation.workspaceId);
    return { invitation, workspaceName: workspace?.name ?? invitation.workspaceId };
  }

  function wrongAccount(
    request: FastifyRequest,
    reply: FastifyReply,
    invitation: Invitation,
    current: { user: User; session: BrowserSession },
  ) {
    return sendPage(
      reply,
      403,
      'Different account',
      html`<h1>Different account</h1>
        <p>
          This invitation is for <strong>${invitation.email}</strong>, but you are signed in as
          <strong>${current.user.email}</strong>.
        </p>
        <form method="post" action="/logout">
          <input type="hidden" name="csrf" value="${current.session.csrfToken}" />
          <input type="hidden" name="next" value="${request.url}" />
          <div class="actions">
            <button class="primary" type="submit">Sign out and continue</button>
          </div>
        </form>`,
    );
  }

  app.get(
    '/invitations/:token',
    withErrorPage(logger, async (request: InvitationRequest, reply) => {
      const found = await lookUp(request.params.token, reply);
      if (!('invitation' in found)) return found;
      const { invitation, workspaceName } = found;
      const current = await signIn.currentSession(request);
      const action = request.url;
      if (current !== undefined) {
        if (!sameEmail(current.user.email, invitation.email))
          return wrongAccount(request, reply, invitation, current);
        return sendPage(
          reply,
          200,
          `Join ${workspaceName}`,
          joinPage({
            action,
            csrf: current.session.csrfToken,
            workspaceName,
            email: current.user.email,
            role: invitation.role,
          }),
        );
      }
      if ((await store.users.findByEmail(invitation.email)) !== undefined)
        return reply.redirect(`/login?next=${encodeURIComponent(action)}`, 303);
      return sendPage(
        reply,
        200,
        `Join ${workspaceName}`,
        signUpPage({
          action,
          csrf: csrf.tokenFor(request, reply, undefined),
          workspaceName,
          email: invitation.email,
        }),
      );
    }),
  );

  app.post(
    '/invitations/:token',
    withErrorPage(logger, async (request: InvitationRequest, reply) => {
      const found = await lookUp(request.params.token, reply);
      if (!('invitation' in found)) return found;
      const { invitation, workspaceName } = found;
      const form = readForm(request);
      const current = await signIn.currentSession(request);
      if (!csrf.verify(request, form, current?.session)) return refuseCsrf(reply);

      if (current !== undefined) {
        if (!sameEmail(current.user.email, invitation.email))
          return wrongAccount(request, reply, invitation, current);
        try {
          await actingAs(context, { actor: userActor(current.user), source: 'api' }, () =>
            store.transaction((tx) => acceptIn(tx, invitation, current.user.id)),
          );
        } catch (error) {
          if (error instanceof AlreadyUsed) return alreadyUsed(reply);
          throw error;
        }
        logger.info(
          { event: 'invitation.accepted', userId: current.user.id },
          'invitation accepted',
        );
        return reply.redirect('/', 303);
      }
      if ((await store.users.findByEmail(invitation.email)) !== undefined)
        return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);

      const name = (form.get('name') ?? '').trim().slice(0, 200);
      const problem = passwordProblem(form.get('password') ?? '', form.get('confirm') ?? '');
      if (problem !== undefined) {
        return sendPage(
          reply,
          400,
          `Join ${workspaceName}`,
          signUpPage({
            action: request.url,
            csrf: csrf.tokenFor(request, reply, undefined),
            workspaceName,
            email: invitation.email,
            name,
            error: problem,
          }),
        );
      }
      const passwordHash = await hashPassword(form.get('password') ?? '');
      let user: User;
      try {
        user = await actingAs(context, newAccountContext(invitation.email), () =>
          store.transaction(async (tx) => {
            // Created inside the transaction: a lost race for the invitation leaves no account behind.
            if ((await tx.users.findByEmail(invitation.email)) !== undefined)
              throw new AlreadyUsed();
            const created = await tx.users.upsert({
              email: invitation.email,
              name: name === '' ? null : name,
              passwordHash,
            });
            await acceptIn(tx, invitation, created.id);
            return created;
          }),
        );
      } catch (error) {
        if (error instanceof AlreadyUsed) return alreadyUsed(reply);
        throw error;
      }
      logger.info({ event: 'invitation.accepted', userId: user.id }, 'invitation accepted');
      await signIn.startSession(reply, user);
      return reply.redirect('/', 303);
    }),
  );
}
