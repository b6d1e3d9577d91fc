/** The caller's own account: who they are, where they belong, their password. */
import { z } from 'zod';
import { GatewayError, isGatewayError } from '../shared/errors.ts';
import { hashPassword } from '../shared/password-hash.ts';
import type { AdminDeps } from './admin-deps.ts';
import { defineRoute } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { membershipView, showUser, userView } from './api-views.ts';
import { intersectAccess } from './workspace-access.ts';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;
export const passwordSchema = z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH);

const meView = z.object({
  user: userView,
  memberships: z.array(membershipView),
  authenticatedWith: z.enum(['session', 'api_key']),
  csrfToken: z
    .string()
    .optional()
    .describe('Present for browser sessions: send it as X-CSRF-Token on unsafe methods.'),
});

export function createMeRoutes(deps: AdminDeps): ApiRoute[] {
  const { store } = deps;
  return [
    defineRoute({
      method: 'GET',
      path: '/me',
      tag: 'account',
      summary: 'The calling user, their memberships and server access',
      response: meView,
      async handle({ caller }) {
        const all = await store.members.listForUser(caller.user.id);
        const members =
          caller.via === 'api_key'
            ? all.filter((member) => member.workspaceId === caller.apiKey.workspaceId)
            : all;
        const workspaces = new Map(
          (await store.workspaces.list()).map((workspace) => [workspace.id, workspace]),
        );
        return {
          user: showUser(caller.user),
          memberships: members.map((member) => {
            const servers =
              caller.via === 'api_key'
                ? intersectAccess(member.serverIds, caller.apiKey.serverIds)
                : member.serverIds;
            return {
              workspaceId: member.workspaceId,
              workspaceName: workspaces.get(member.workspaceId)?.name ?? member.workspaceId,
              role: member.role,
              servers: servers === null ? null : [...servers],
            };
          }),
          authenticatedWith: caller.via,
          ...(caller.via === 'session' ? { csrfToken: caller.csrfToken } : {}),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/me/password',
      tag: 'account',
      summary: 'Change your own password, proving the current one',
      body: z.strictObject({
        currentPassword: z.string().max(MAX_PASSWORD_LENGTH),
        newPassword: passwordSchema,
      }),
      status: 204,
      async handle({ caller, body, request }) {
        const user = await store.users.find(caller.user.id);
        if (user === undefined)
          throw new GatewayError('forbidden', 'The current password is wrong.');
        // The sign-in check and its throttle: a stolen session must not buy unlimited guesses.
        await deps.signIn
          .checkPassword(user.email, body.currentPassword, request.ip)
          .catch((error: unknown) => {
            if (isGatewayError(error) && error.code === 'unauthorized')
              throw new GatewayError('forbidden', 'The current password is wrong.');
            throw error;
          });
        const passwordHash = await hashPassword(body.newPassword);
        const current =
          caller.via === 'session' ? await deps.signIn.currentSession(request) : undefined;
        await store.transaction(async (tx) => {
          await tx.users.upsert({ email: user.email, passwordHash });
          // A new password ends every other browser session (someone who knew the old one may hold
          // one, OWASP Session Management: renew on credential change). The session proving the
          // current password goes on, its absolute lifetime counted from this proof.
          await tx.browserSessions.removeForUser(user.id);
          if (current !== undefined)
            await tx.browserSessions.create({
              idHash: current.session.idHash,
              userId: user.id,
              csrfToken: current.session.csrfToken,
              expiresAt: current.session.expiresAt,
            });
        });
      },
    }),
  ];
}
