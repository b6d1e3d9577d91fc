/**
 * The browser side of connecting an upstream account:
 *
 *   GET /connections/:workspaceId/:serverId/connect   (signed in; `?return_to=` a path here)
 *   GET /oauth/upstream/callback                      (the upstream AS sends the browser back)
 *   GET /interaction/:uid/upstream-connected          (back into a sign-in that needed it)
 *
 * The callback is accepted only from the browser session that started the
 * authorization; the state is single-use.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RouteModule } from '../../ingress/create-app.ts';
import type { Store } from '../../store/store.ts';
import { html } from '../sign-in/html.ts';
import type { Interactions } from '../sign-in/interactions-port.ts';
import { hijack, withErrorPage } from '../sign-in/page-context.ts';
import { sendMessage, sendPage } from '../sign-in/page-response.ts';
import type { SignIn } from '../sign-in/sign-in.ts';
import { connectableServer } from './connections-access.ts';
import type { ConsentDetour } from './connections-consent.ts';
import type { ConnectionsFlow } from './connections-flow.ts';

export interface ConnectionsRoutesDeps {
  readonly store: Store;
  readonly signIn: Pick<SignIn, 'currentSession'>;
  readonly flow: ConnectionsFlow;
  readonly detour: ConsentDetour;
  readonly publicUrl: string;
  readonly logger: Logger;
  /** The authorization server's interactions, to resume a sign-in (absent: no chaining). */
  readonly interactions?: Interactions;
}

type ConnectRequest = FastifyRequest<{
  Params: { workspaceId: string; serverId: string };
  Querystring: { return_to?: string };
}>;
type ResumeRequest = FastifyRequest<{ Params: { uid: string }; Querystring: { proof?: string } }>;

function toLogin(reply: FastifyReply, url: string): FastifyReply {
  return reply.redirect(`/login?next=${encodeURIComponent(url)}`, 303);
}

export function createConnectionsRoutes(deps: ConnectionsRoutesDeps): RouteModule {
  const { store, signIn, flow, logger } = deps;

  return (app: FastifyInstance) => {
    app.get(
      '/connections/:workspaceId/:serverId/connect',
      withErrorPage(logger, async (request: ConnectRequest, reply) => {
        const current = await signIn.currentSession(request);
        if (current === undefined) return toLogin(reply, request.url);
        const { workspaceId, serverId } = request.params;
        const server = await connectableServer(store, current.user, workspaceId, serverId);
        const url = await flow.start(server, current.user.id, request.query.return_to ?? null);
        return reply.header('cache-control', 'no-store').redirect(url, 303);
      }),
    );

    app.get(
      '/oauth/upstream/callback',
      withErrorPage(logger, async (request: FastifyRequest, reply) => {
        const current = await signIn.currentSession(request);
        if (current === undefined)
          return sendMessage(
            reply,
            401,
            'Sign in first',
            'This connection was started in a browser session that has ended. Sign in and connect again.',
          );
        const { server, returnUrl } = await flow.finish(
          new URL(request.url, deps.publicUrl),
          current.user.id,
        );
        if (returnUrl !== null) return reply.redirect(returnUrl, 303);
        return sendPage(
          reply,
          200,
          'Connected',
          html`<h1>Connected</h1>
            <p>
              Your account for <strong>${server.name}</strong> is connected. You can close this
              window and go back to your application.
            </p>`,
        );
      }),
    );

    const interactions = deps.interactions;
    if (interactions === undefined) return;
    app.get(
      '/interaction/:uid/upstream-connected',
      withErrorPage(logger, async (request: ResumeRequest, reply) => {
        const view = await interactions.details(request.raw, reply.raw);
        const current = await signIn.currentSession(request);
        if (
          current === undefined ||
          view.prompt !== 'consent' ||
          current.user.id !== view.accountId ||
          !deps.detour.verifyProof(request.query.proof, view.uid, current.user.id)
        )
          return reply.redirect(`/interaction/${encodeURIComponent(view.uid)}`, 303);
        // Several per-user servers in one authorization: one upstream trip each.
        const next = await deps.detour.next(view, current.user.id);
        if (next !== undefined) return reply.redirect(next, 303);
        hijack(reply);
        await interactions.finishConsent(request.raw, reply.raw, current.user.id);
        return reply;
      }),
    );
  };
}
