/**
 * The gateway's own OAuth Client ID Metadata Document
 * (draft-ietf-oauth-client-id-metadata-document), its client_id at every
 * upstream AS that supports CIMD: `<publicUrl>/oauth/upstream-client.json`.
 *
 * The gateway is a web client with one hosted callback; it authenticates at
 * token endpoints with nothing (`none`): PKCE binds the code, and a public
 * document cannot carry a secret.
 */
import type { RouteModule } from '../../ingress/create-app.ts';
import { clientMetadataDocumentUrl, upstreamCallbackUrl } from './upstream-oauth-client.ts';

export interface UpstreamClientMetadataDeps {
  readonly publicUrl: string;
  /** Shown on upstream consent pages. Defaults to `Portcullis`. */
  readonly clientName?: string;
}

export function upstreamClientMetadata(deps: UpstreamClientMetadataDeps): Record<string, unknown> {
  return {
    client_id: clientMetadataDocumentUrl(deps.publicUrl),
    client_name: deps.clientName ?? 'Portcullis',
    client_uri: deps.publicUrl,
    redirect_uris: [upstreamCallbackUrl(deps.publicUrl)],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    application_type: 'web',
  };
}

export function createUpstreamClientMetadataRoute(deps: UpstreamClientMetadataDeps): RouteModule {
  const body = JSON.stringify(upstreamClientMetadata(deps));
  return (app) => {
    app.get('/oauth/upstream-client.json', async (_request, reply) => {
      // Authorization servers cache per HTTP caching headers (draft §4).
      reply.header('cache-control', 'public, max-age=3600');
      reply.header('content-type', 'application/json');
      return reply.send(body);
    });
  };
}
