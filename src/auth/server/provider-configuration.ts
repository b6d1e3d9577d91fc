/**
 * oidc-provider's configuration for the gateway's MCP authorization server:
 * authorization code + PKCE S256 only, one MCP resource per token (RFC 8707),
 * RFC 9068 JWT access tokens, rotating refresh tokens, DCR and client ID
 * metadata documents. Decisions that differ from oidc-provider's defaults
 * are commented where they are made; `README.md` lists them.
 */
import crypto from 'node:crypto';
import { errors } from 'oidc-provider';
import type { Client, KoaContextWithOIDC } from 'oidc-provider';
import type { IncomingMessage } from 'node:http';
import type { JWK } from 'jose';
import type { RuntimeConfig } from '../../config/runtime-config.ts';
import type { Store } from '../../store/store.ts';
import type { GuardedFetch } from './client-metadata-documents.ts';
import type { OidcAdapter } from './oidc-adapter.ts';
import { createInteractionPolicy } from './interaction-policy.ts';
import { evaluateRedirectUris } from './redirect-uri-policy.ts';
import { parseResourceUrl } from './resource-url.ts';

export const MCP_SCOPE = 'mcp';
const SUPPORTED_GRANT_TYPES = new Set(['authorization_code', 'refresh_token']);
/** Never set by clients: its validator applies the gateway's client metadata policy. */
const POLICY_PROPERTY = 'portcullis_client_policy';

export interface ProviderConfigurationDeps {
  config: RuntimeConfig;
  store: Store;
  secretKey: string;
  adapter: (model: string) => OidcAdapter;
  signingKeys: readonly JWK[];
  guardedFetch: GuardedFetch;
  isResource(workspaceId: string, serverId: string): boolean;
  findGrantId(accountId: string, clientId: string): Promise<string | undefined>;
  currentUserId(req: IncomingMessage): Promise<string | undefined>;
}

/**
 * Runs on every client before oidc-provider validates it (DCR, metadata
 * documents, stored clients). The gateway's redirect URI policy replaces
 * oidc-provider's web/native rules; every client is then treated as
 * `native` so loopback redirects match port-insensitively (RFC 8252 §7.3)
 * and mixed lists (private-use + https + loopback) validate.
 */
function applyClientPolicy(metadata: Record<string, unknown>): void {
  const verdict = evaluateRedirectUris(metadata.redirect_uris);
  if (!verdict.ok) throw new errors.InvalidRedirectUri(verdict.reason);
  metadata.application_type = 'native';
  // Grant types the gateway does not offer (e.g. Claude's jwt-bearer) are dropped, not refused.
  if (Array.isArray(metadata.grant_types)) {
    const kept = metadata.grant_types.filter((type) => SUPPORTED_GRANT_TYPES.has(String(type)));
    metadata.grant_types = kept.length > 0 ? kept : ['authorization_code'];
  }
  // A registered `scope` would restrict what the client may request; MCP clients register odd values.
  delete metadata.scope;
}

/**
 * Runs late in the authorization pipeline (checkExtraParams), after
 * oidc-provider's scope checks, and fixes the requested scope up:
 * - `mcp` is always requested: it is the one MCP scope, and clients may
 *   omit `scope` when the resource names none (MCP authorization,
 *   "Scope Selection Strategy"); without it nothing would be granted.
 * - `offline_access` is restored: oidc-provider drops it unless the request
 *   has prompt=consent (lib/actions/authorization/scopes.js), which MCP
 *   clients (Claude) never send. Kept only for clients that may refresh.
 */
async function normaliseRequestedScope(ctx: KoaContextWithOIDC): Promise<void> {
  if (ctx.oidc.route !== 'authorization') return;
  const current = typeof ctx.oidc.params.scope === 'string' ? ctx.oidc.params.scope : '';
  const scopes = new Set(current.split(' ').filter(Boolean));
  scopes.add(MCP_SCOPE);
  const source = ctx.method === 'POST' ? ctx.oidc.body : ctx.query;
  const raw = source?.scope;
  if (
    typeof raw === 'string' &&
    raw.split(' ').includes('offline_access') &&
    ctx.oidc.client?.grantTypeAllowed('refresh_token') === true
  ) {
    scopes.add('offline_access');
  }
  ctx.oidc.params.scope = [...scopes].join(' ');
}

export function createProviderConfiguration(
  deps: ProviderConfigurationDeps,
): Record<string, unknown> {
  const { config, store } = deps;
  const secure = config.publicUrl.startsWith('https://');
  const cookieKey = Buffer.from(
    crypto.hkdfSync('sha256', deps.secretKey, 'portcullis', 'oauth cookie keys v1', 32),
  ).toString('base64url');
  const cookie = { httpOnly: true, sameSite: 'lax', secure, signed: true };

  return {
    adapter: deps.adapter,
    jwks: { keys: deps.signingKeys },
    cookies: { keys: [cookieKey], long: cookie, short: cookie },
    routes: {
      authorization: '/authorize',
      token: '/token',
      registration: '/register',
      revocation: '/revoke',
      jwks: '/jwks',
    },
    // What the gateway offers. oidc-provider always lists `openid` too (the scope of `sub`,
    // which it requires); no ID-token claims beyond it are offered.
    scopes: ['openid', 'offline_access', MCP_SCOPE],
    claims: { openid: ['sub'] },
    responseTypes: ['code'],
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'ES256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    pkce: { required: () => true },
    async findAccount(_ctx: unknown, id: string) {
      const user = await store.users.find(id);
      if (user === undefined) return undefined;
      return {
        accountId: user.id,
        claims: () => ({ sub: user.id, email: user.email, name: user.name ?? undefined }),
      };
    },
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const { Grant } = ctx.oidc.provider;
      const clientId = ctx.oidc.client!.clientId;
      const sessionGrant =
        ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(clientId);
      if (sessionGrant !== undefined) {
        const grant = await Grant.find(sessionGrant);
        if (grant !== undefined) return grant;
      }
      // Consent is remembered per (user, client) on the server, not per browser session.
      const accountId = ctx.oidc.account?.accountId;
      const remembered =
        accountId === undefined ? undefined : await deps.findGrantId(accountId, clientId);
      return remembered === undefined ? undefined : Grant.find(remembered);
    },
    interactions: {
      policy: createInteractionPolicy({ currentUserId: (req) => deps.currentUserId(req) }),
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    extraParams: { scope: normaliseRequestedScope },
    extraClientMetadata: {
      properties: [POLICY_PROPERTY],
      validator(_ctx: unknown, key: string, _value: unknown, metadata: Record<string, unknown>) {
        if (key === POLICY_PROPERTY) applyClientPolicy(metadata);
      },
    },
    extraTokenClaims: (_ctx: unknown, token: { grantId?: string }) =>
      token.grantId === undefined ? undefined : { gid: token.grantId },
    issueRefreshToken: async (_ctx: unknown, client: Client, code: { scopes: Set<string> }) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    rotateRefreshToken: true,
    // MCP tokens outlive the browser session that approved them; revocation is by grant.
    expiresWithSession: () => false,
    ttl: {
      AccessToken: config.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      Interaction: 3600,
      Session: config.browserSessionTtlSeconds,
      Grant: config.refreshTokenTtlSeconds,
      RefreshToken: config.refreshTokenTtlSeconds,
    },
    // Bearer endpoints without cookies: any origin may call them (browser-based MCP clients).
    clientBasedCORS: () => true,
    async renderError(ctx: KoaContextWithOIDC, out: Record<string, unknown>) {
      // JSON, never HTML built from request input.
      ctx.type = 'application/json';
      ctx.body = { error: out.error, error_description: out.error_description };
    },
    fetch: deps.guardedFetch,
    fetchResponseBodyLimits: { 'client_id metadata document': 5 * 1024 },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      introspection: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      revocation: {
        enabled: true,
        // RFC 7009 §2.1: only the client a token was issued to may revoke it.
        allowedPolicy(_ctx: unknown, client: Client, token: { clientId?: string }) {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      registration: {
        enabled: true,
        initialAccessToken: false,
        issueRegistrationAccessToken: false,
      },
      registrationManagement: { enabled: false },
      clientIdMetadataDocument: {
        enabled: true,
        ack: 'draft-02',
        cacheDuration: { min: 300, max: 86_400 },
      },
      resourceIndicators: {
        enabled: true,
        // A resource is required at /authorize (MCP clients MUST send it); at /token the granted one is used.
        async defaultResource(ctx: KoaContextWithOIDC, _client: Client, oneOf?: string[]) {
          if (ctx.oidc.route === 'authorization') {
            throw new errors.InvalidTarget(
              'resource is required: the MCP server URL, e.g. <gateway>/<workspace>/<server>/mcp',
            );
          }
          return oneOf;
        },
        useGrantedResource: () => true,
        async getResourceServerInfo(ctx: KoaContextWithOIDC, resource: string) {
          if (Array.isArray(ctx.oidc.params.resource) && ctx.oidc.params.resource.length > 1) {
            throw new errors.InvalidTarget('only one resource may be requested per authorization');
          }
          const target = parseResourceUrl(config.publicUrl, resource);
          if (target === undefined || !deps.isResource(target.workspaceId, target.serverId)) {
            throw new errors.InvalidTarget('resource is not an MCP server of this gateway');
          }
          return {
            scope: MCP_SCOPE,
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: config.accessTokenTtlSeconds,
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
  };
}
