/**
 * The sign-in pages' view of an authorization in progress, over
 * oidc-provider's interaction API. Every way out (login, consent, deny)
 * resumes the authorization at the provider, which redirects to the client
 * with `iss` (RFC 9207) on success and error alike.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { InteractionDetails } from 'oidc-provider';
import { GatewayError } from '../../shared/errors.ts';
import type { Store } from '../../store/store.ts';
import { isLoopbackRedirectUri, redirectDisplayHost } from './redirect-uri-policy.ts';
import { parseResourceUrl } from './resource-url.ts';

export interface InteractionView {
  uid: string;
  prompt: 'login' | 'consent';
  /** The account the provider's session already knows (consent prompt), else undefined. */
  accountId: string | undefined;
  client: {
    clientId: string;
    name: string;
    redirectUri: string;
    redirectHost: string;
    isLoopbackOnly: boolean;
    viaMetadataDocument: boolean;
  };
  scopes: string[];
  resources: { url: string; workspaceId: string; serverId: string }[];
}

export interface Interactions {
  /** Throws GatewayError('not_found', …) when the uid/cookie is unknown or expired. */
  details(req: IncomingMessage, res: ServerResponse): Promise<InteractionView>;
  /** Completes the login prompt for `userId`; sends the redirect itself (caller must reply.hijack()). */
  finishLogin(req: IncomingMessage, res: ServerResponse, userId: string): Promise<void>;
  /** Grants the requested scopes and resources to (user, client) and resumes; sends the redirect itself. */
  finishConsent(req: IncomingMessage, res: ServerResponse, userId: string): Promise<void>;
  /** Ends the authorization with error=access_denied (and iss) at the client; sends the redirect itself. */
  deny(req: IncomingMessage, res: ServerResponse, description: string): Promise<void>;
}

/** Scopes a grant may hold; anything else a client asks for is not granted. */
const GRANTABLE_SCOPES = new Set(['openid', 'mcp', 'offline_access']);

function requestedResources(params: Record<string, unknown>): string[] {
  const raw = params.resource;
  if (typeof raw === 'string') return [raw];
  if (Array.isArray(raw)) return raw.filter((value): value is string => typeof value === 'string');
  return [];
}

function requestedScopes(params: Record<string, unknown>): string[] {
  return typeof params.scope === 'string' ? params.scope.split(' ').filter(Boolean) : [];
}

export function createInteractions(deps: {
  provider: Provider;
  store: Store;
  publicUrl: string;
  /** The (user, client) grant remembered server-side, if any. */
  findGrantId(accountId: string, clientId: string): Promise<string | undefined>;
}): Interactions {
  const { provider } = deps;

  const load = async (req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails> => {
    try {
      return await provider.interactionDetails(req, res);
    } catch (error) {
      throw new GatewayError(
        'not_found',
        'This sign-in link is unknown or has expired; start again from your application.',
        { cause: error },
      );
    }
  };

  return {
    async details(req, res) {
      const interaction = await load(req, res);
      const { params } = interaction;
      const clientId = String(params.client_id);
      const client = await provider.Client.find(clientId);
      if (client === undefined)
        throw new GatewayError('not_found', 'The client of this sign-in no longer exists.');
      const redirectUri =
        typeof params.redirect_uri === 'string'
          ? params.redirect_uri
          : (client.redirectUris[0] ?? '');
      return {
        uid: interaction.uid,
        prompt: interaction.prompt.name === 'login' ? 'login' : 'consent',
        accountId: interaction.session?.accountId,
        client: {
          clientId,
          name: client.clientName ?? clientId,
          redirectUri,
          redirectHost: redirectDisplayHost(redirectUri),
          isLoopbackOnly: client.redirectUris.every(isLoopbackRedirectUri),
          viaMetadataDocument: /^https:\/\//.test(clientId),
        },
        scopes: requestedScopes(params),
        resources: requestedResources(params).flatMap((url) => {
          const parsed = parseResourceUrl(deps.publicUrl, url);
          return parsed === undefined ? [] : [{ url, ...parsed }];
        }),
      };
    },

    async finishLogin(req, res, userId) {
      const interaction = await load(req, res);
      if (interaction.prompt.name !== 'login') {
        throw new GatewayError('conflict', 'This sign-in step is not waiting for a login.');
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: userId } },
        { mergeWithLastSubmission: false },
      );
    },

    async finishConsent(req, res, userId) {
      const interaction = await load(req, res);
      if (interaction.prompt.name !== 'consent') {
        throw new GatewayError('conflict', 'This sign-in step is not waiting for consent.');
      }
      const accountId = interaction.session?.accountId;
      if (accountId !== userId) {
        throw new GatewayError(
          'forbidden',
          'This authorization belongs to another signed-in user.',
        );
      }
      const clientId = String(interaction.params.client_id);
      const existingId = interaction.grantId ?? (await deps.findGrantId(accountId, clientId));
      const existing = existingId === undefined ? undefined : await provider.Grant.find(existingId);
      const grant = existing ?? new provider.Grant({ accountId, clientId });
      const scopes = requestedScopes(interaction.params).filter((scope) =>
        GRANTABLE_SCOPES.has(scope),
      );
      if (scopes.length > 0) grant.addOIDCScope(scopes.join(' '));
      for (const resource of requestedResources(interaction.params)) {
        grant.addResourceScope(resource, 'mcp');
      }
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    },

    async deny(req, res, description) {
      await load(req, res);
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: description },
        { mergeWithLastSubmission: false },
      );
    },
  };
}
