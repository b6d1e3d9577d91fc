/**
 * Users of the instance. Instance administrators manage everyone; any user
 * may read their own record and change their own name.
 */
import { z } from 'zod';
import { GatewayError } from '../shared/errors.ts';
import { hashPassword } from '../shared/password-hash.ts';
import type { Store } from '../store/store.ts';
import type { AdminDeps } from './admin-deps.ts';
import { defineRoute } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { showUser, userView } from './api-views.ts';
import type { ApiCaller } from './authenticate-api-caller.ts';
import { passwordSchema } from './me-routes.ts';
import { can } from './roles.ts';
import { instanceActor, requireThat } from './workspace-access.ts';

const userParams = z.strictObject({ userId: z.string().min(1).max(200) });
const nameSchema = z.string().trim().min(1).max(200).nullable();

/** Others' records are 404 to non-administrators, like unknown ones. */
async function visibleUser(store: Store, caller: ApiCaller, userId: string) {
  const user = await store.users.find(userId);
  if (user === undefined || (user.id !== caller.user.id && !caller.user.isAdmin))
    throw new GatewayError('not_found', 'No such user.');
  return user;
}

/** The instance keeps at least one administrator, or nobody could manage users again. */
async function refuseLastAdmin(tx: Store, userId: string): Promise<void> {
  const admins = (await tx.users.list()).filter((user) => user.isAdmin);
  if (admins.length === 1 && admins[0]?.id === userId)
    throw new GatewayError('conflict', 'The instance must keep at least one administrator.');
}

/** A user who is the last owner of a workspace cannot disappear from it. */
async function refuseLastOwner(tx: Store, userId: string): Promise<void> {
  for (const membership of await tx.members.listForUser(userId)) {
    if (membership.role !== 'owner') continue;
    const owners = (await tx.members.list(membership.workspaceId)).filter(
      (member) => member.role === 'owner',
    );
    if (owners.length === 1)
      throw new GatewayError(
        'conflict',
        `The user is the last owner of workspace "${membership.workspaceId}"; make someone else owner first.`,
      );
  }
}

export function createUsersRoutes(deps: AdminDeps): ApiRoute[] {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  return [
    defineRoute({
      method: 'GET',
      path: '/users',
      tag: 'users',
      summary: 'Every user of the instance (instance administrators)',
      response: z.array(userView),
      async handle({ caller }) {
        requireThat(instanceActor(caller), 'user.manage');
        return (await store.users.list()).map(showUser);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/users',
      tag: 'users',
      summary: 'Create a user (instance administrators)',
      body: z.strictObject({
        email: z.email().max(320),
        name: nameSchema.optional(),
        password: passwordSchema.optional(),
        isAdmin: z.boolean().default(false),
      }),
      status: 201,
      response: userView,
      async handle({ caller, body }) {
        requireThat(instanceActor(caller), 'user.manage');
        const passwordHash = body.password === undefined ? null : await hashPassword(body.password);
        const user = await store.transaction(async (tx) => {
          if ((await tx.users.findByEmail(body.email)) !== undefined)
            throw new GatewayError('conflict', 'A user with this email already exists.');
          return tx.users.upsert({
            email: body.email,
            name: body.name ?? null,
            passwordHash,
            isAdmin: body.isAdmin,
          });
        });
        return showUser(user);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/users/:userId',
      tag: 'users',
      summary: 'One user (yourself, or anyone for instance administrators)',
      params: userParams,
      response: userView,
      async handle({ caller, params }) {
        return showUser(await visibleUser(store, caller, params.userId));
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/users/:userId',
      tag: 'users',
      summary: 'Rename a user; instance administrators may also grant or withdraw isAdmin',
      params: userParams,
      body: z.strictObject({ name: nameSchema.optional(), isAdmin: z.boolean().optional() }),
      response: userView,
      async handle({ caller, params, body }) {
        const target = await visibleUser(store, caller, params.userId);
        if (body.isAdmin !== undefined && body.isAdmin !== target.isAdmin)
          requireThat(instanceActor(caller), 'user.manage');
        const user = await store.transaction(async (tx) => {
          if (body.isAdmin === false) await refuseLastAdmin(tx, target.id);
          return tx.users.upsert({ email: target.email, name: body.name, isAdmin: body.isAdmin });
        });
        return showUser(user);
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/users/:userId',
      tag: 'users',
      summary: 'Delete a user with their memberships, API keys, sessions and OAuth grants',
      params: userParams,
      status: 204,
      async handle({ caller, params }) {
        if (!can(instanceActor(caller), 'user.manage'))
          throw new GatewayError('forbidden', 'Only instance administrators delete users.');
        const target = await visibleUser(store, caller, params.userId);
        const grants = await store.transaction(async (tx) => {
          await refuseLastAdmin(tx, target.id);
          await refuseLastOwner(tx, target.id);
          const userGrants = await tx.oauthArtefacts.listByAccount('Grant', target.id, now());
          for (const grant of userGrants) {
            await tx.oauthArtefacts.revokeByGrantId(grant.id);
            await tx.oauthArtefacts.destroy('Grant', grant.id);
          }
          await tx.users.remove(target.id);
          return userGrants;
        });
        for (const grant of grants) deps.onGrantRevoked?.(grant.id);
        await deps.onCredentialsChanged();
      },
    }),
  ];
}
