/**
 * Invitations: a one-time link `<publicUrl>/invitations/<token>`. The token
 * is 256 random bits, shown once in the creation answer; the store keeps only
 * its SHA-256, so a database leak yields no usable links.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { GatewayError } from '../shared/errors.ts';
import type { AdminDeps } from './admin-deps.ts';
import { defineRoute } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { invitationView, roleSchema, serverAccessSchema, showInvitation } from './api-views.ts';
import { checkServersExist } from './members-routes.ts';
import { accessWorkspace, requireThat } from './workspace-access.ts';
import { workspaceParams } from './workspaces-routes.ts';

export const DEFAULT_INVITATION_HOURS = 168;

export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function createInvitationsRoutes(deps: AdminDeps): ApiRoute[] {
  const { store, config } = deps;
  const now = deps.now ?? (() => new Date());
  return [
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/invitations',
      tag: 'invitations',
      summary: 'Invitations of a workspace, newest first (admins and owners)',
      params: workspaceParams,
      response: z.array(invitationView),
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'invitation.manage');
        return (await store.invitations.list(access.workspace.id)).map(showInvitation);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/workspaces/:workspaceId/invitations',
      tag: 'invitations',
      summary: 'Invite someone by email; the answer carries the link, once',
      params: workspaceParams,
      body: z.strictObject({
        email: z.email().max(320),
        role: roleSchema,
        servers: z
          .array(z.string().min(1).max(200))
          .max(1000)
          .nullable()
          .default(null)
          .describe(serverAccessSchema.description ?? ''),
        expiresInHours: z.number().int().min(1).max(720).default(DEFAULT_INVITATION_HOURS),
      }),
      status: 201,
      response: invitationView.extend({
        url: z.string().describe('The invitation link; shown only in this answer.'),
      }),
      async handle({ caller, params, body }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'invitation.manage', { role: body.role });
        await checkServersExist(store, access.workspace.id, body.servers, 'body.servers');
        const token = randomBytes(32).toString('base64url');
        const invitation = await store.invitations.create({
          workspaceId: access.workspace.id,
          email: body.email,
          role: body.role,
          serverIds: body.servers,
          tokenHash: hashInvitationToken(token),
          invitedBy: caller.user.id,
          expiresAt: new Date(now().getTime() + body.expiresInHours * 3600_000),
        });
        return { ...showInvitation(invitation), url: `${config.publicUrl}/invitations/${token}` };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/workspaces/:workspaceId/invitations/:invitationId',
      tag: 'invitations',
      summary: 'Revoke an invitation; its link stops working',
      params: z.strictObject({
        workspaceId: z.string().min(1).max(200),
        invitationId: z.string().min(1).max(200),
      }),
      status: 204,
      async handle({ caller, params }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireThat(access.actor, 'invitation.manage');
        const invitation = await store.invitations.find(params.invitationId);
        if (invitation === undefined || invitation.workspaceId !== access.workspace.id)
          throw new GatewayError('not_found', 'No such invitation.');
        requireThat(access.actor, 'invitation.manage', { role: invitation.role });
        await store.invitations.revoke(invitation.id, now());
      },
    }),
  ];
}
