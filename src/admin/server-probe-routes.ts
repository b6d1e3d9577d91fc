/**
 * Talking to an upstream from the admin API, through the gateway's own
 * transports (src/upstream), SSRF guard and credentials:
 *
 * - test connection: a server definition, not saved, is connected to the
 *   way the gateway would (a stdio process is started, then always
 *   stopped) and listed. Upstream failures are answers (`ok: false`), not
 *   errors: the form shows them next to the definition. Nothing is stored,
 *   so nothing is audited.
 * - live capabilities: what a saved server lists for the caller right now,
 *   with the caller's own credentials, and each item's policy state.
 *   Managers see every upstream item with its state; members see what the
 *   policy shows them, as their clients see it.
 */
import { z } from 'zod';
import type { Principal } from '../auth/resource/principal.ts';
import { GatewayError, isGatewayError } from '../shared/errors.ts';
import type { ServerDefinition } from '../store/model.ts';
import { listCapabilities } from '../upstream/capability-listing.ts';
import type { CapabilityListing } from '../upstream/capability-listing.ts';
import { upstreamStatusOf } from '../upstream/http-client.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { AdminDeps } from './admin-deps.ts';
import type { ApiCaller } from './authenticate-api-caller.ts';
import { defineRoute } from './api-route.ts';
import type { ApiRoute } from './api-route.ts';
import { can } from './roles.ts';
import { capabilitiesView, itemViews, showCapabilities } from './server-capabilities-view.ts';
import { sealServerSecrets } from './server-secrets.ts';
import {
  findReachableServer,
  requireMayWrite,
  serverBody,
  serverParams,
  toInput,
} from './servers-routes.ts';
import { accessWorkspace, mayReach } from './workspace-access.ts';
import { workspaceParams } from './workspaces-routes.ts';

/** However long a server's own timeout, a dashboard request waits no longer than this. */
const MAX_PROBE_MS = 15_000;

const testFailure = z.object({
  ok: z.literal(false),
  error: z.object({
    code: z
      .string()
      .describe(
        '`needs_authorization` (the upstream answered 401: choose upstream OAuth or static headers), `connection_required` (OAuth servers are tested once saved and connected), `upstream_unavailable` (refused, unreachable), `upstream_timeout`, `upstream_refused` (another 4xx, its status in the message), `upstream_protocol_error` (not an MCP answer), `upstream_error`, `forbidden` (a private address the SSRF guard refuses), `upstream_member_secret_required`, …',
      ),
    message: z.string(),
  }),
  latency_ms: z.number(),
});

const testSuccess = z.object({
  ok: z.literal(true),
  era: z.enum(['legacy', 'modern']).describe('The protocol era the upstream answered in.'),
  protocol_version: z.string(),
  server_info: z.record(z.string(), z.unknown()),
  capabilities: z.record(z.string(), z.unknown()),
  instructions: z.string().nullable(),
  ...itemViews,
  truncated: z.boolean().describe('A list had more pages than the gateway reads here.'),
  latency_ms: z.number(),
});

const testResultView = z.discriminatedUnion('ok', [testSuccess, testFailure]);

/** The caller as the upstream layer names callers (per-member processes, upstream OAuth owners). */
function principalOf(caller: ApiCaller): Principal {
  return caller.via === 'api_key'
    ? {
        kind: 'api_key',
        id: caller.apiKey.id,
        userId: caller.user.id,
        workspaceId: caller.apiKey.workspaceId,
        apiKeyId: caller.apiKey.id,
        clientId: null,
      }
    : {
        kind: 'user',
        id: `dashboard:${caller.user.id}`,
        userId: caller.user.id,
        workspaceId: null,
        apiKeyId: null,
        clientId: null,
      };
}

/** Lists within the time allowed; past it, everything in flight is aborted. */
async function listWithin(upstream: Upstream, timeoutMs: number): Promise<CapabilityListing> {
  const budget = Math.min(timeoutMs, MAX_PROBE_MS);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(
        new GatewayError(
          'upstream_timeout',
          `The upstream did not finish answering within ${budget} ms.`,
        ),
      );
    }, budget);
  });
  try {
    return await Promise.race([
      listCapabilities(upstream, { timeoutMs: budget, signal: controller.signal }),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function failureOf(error: GatewayError, sentHeaders: boolean): { code: string; message: string } {
  if (upstreamStatusOf(error) === 401)
    return {
      code: 'needs_authorization',
      message: sentHeaders
        ? 'The upstream answered 401 to the static headers of this definition: check their names and values, or use upstream OAuth.'
        : 'The upstream answered 401: it needs credentials. Choose upstream OAuth (each member connects their account, or an admin connects a shared one) or static headers.',
    };
  return { code: error.code, message: error.message };
}

/** Errors that mean "the caller has not set up their own credentials for this server". */
const CALLER_SETUP = new Set([
  'upstream_connection_required',
  'upstream_url_elicitation_required',
  'upstream_member_secret_required',
]);

export function createServerProbeRoutes(deps: AdminDeps): ApiRoute[] {
  const { store, config } = deps;
  const probe = () => {
    if (deps.upstreamProbe === undefined)
      throw new GatewayError('unavailable', 'This gateway cannot reach upstreams from the API.');
    return deps.upstreamProbe;
  };

  return [
    defineRoute({
      method: 'POST',
      path: '/workspaces/:workspaceId/servers/test',
      tag: 'servers',
      summary:
        'Test a server definition without saving it (admins and owners; stdio instance administrators only): connect, initialize and list its tools, resources and prompts. Upstream failures answer 200 with ok: false; a stdio process started for the test is always stopped.',
      params: workspaceParams,
      body: serverBody,
      response: testResultView,
      async handle({ caller, params, body }) {
        const access = await accessWorkspace(store, caller, params.workspaceId);
        requireMayWrite(access, body);
        const started = performance.now();
        const latency = () => Math.round(performance.now() - started);
        if (body.upstream_auth?.mode === 'oauth')
          return {
            ok: false,
            error: {
              code: 'connection_required',
              message:
                'This server authenticates with upstream OAuth: save it, then connect an account (My connections) and open its capabilities to see what it lists.',
            },
            latency_ms: 0,
          };
        const workspaceId = access.workspace.id;
        // Sealed like a saved definition, so the transports open it exactly as they would; an
        // edited definition keeps the stored secrets of its server as a save would.
        // Stored secrets of a server the caller cannot see are no one's to reuse.
        const secrets = sealServerSecrets(
          body,
          deps.vault,
          mayReach(access, body.id) ? await store.servers.find(workspaceId, body.id) : undefined,
        );
        const { upstreamAuth } = secrets;
        const input = toInput(workspaceId, body, config.upstreamTimeoutMs, secrets);
        const at = new Date();
        const server: ServerDefinition = {
          ...input,
          url: input.url ?? null,
          command: input.command ?? null,
          args: input.args ?? [],
          env: input.env ?? {},
          cwd: input.cwd ?? null,
          upstreamAuth: upstreamAuth ?? { mode: 'none', forwardIdentity: false },
          createdAt: at,
          updatedAt: at,
        };
        // Its own registry: nothing shared with live traffic, and every process it starts is stopped
        // below. A stdio server with member secrets runs with the caller's own values.
        const scratch = probe().scratch();
        try {
          const upstream = scratch.get(server, { userId: caller.user.id });
          const listing = await listWithin(upstream, server.timeoutMs);
          return {
            ok: true,
            ...showCapabilities(listing),
            latency_ms: latency(),
          };
        } catch (error) {
          if (!isGatewayError(error) || error.code === 'internal') throw error;
          return {
            ok: false,
            error: failureOf(error, body.upstream_auth?.mode === 'headers'),
            latency_ms: latency(),
          };
        } finally {
          await scratch.closeAll();
        }
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspaces/:workspaceId/servers/:serverId/capabilities',
      tag: 'servers',
      summary:
        'What the server lists for you right now, with your own credentials: admins and owners get every upstream tool, resource and prompt with its policy state; members get what the policy shows them. 409 connection_required when your upstream account (or secret value) is not set up; upstream failures are 502/504.',
      params: serverParams,
      response: capabilitiesView,
      async handle({ caller, params }) {
        const server = await findReachableServer(store, caller, params);
        const access = await accessWorkspace(store, caller, params.workspaceId);
        const principal = principalOf(caller);
        const started = performance.now();
        let listing: CapabilityListing;
        try {
          const upstream = probe().live(server, principal);
          listing = await listWithin(upstream, server.timeoutMs || config.upstreamTimeoutMs);
        } catch (error) {
          if (isGatewayError(error) && CALLER_SETUP.has(error.code))
            throw new GatewayError('connection_required', error.message, {
              ...(error.data === undefined ? {} : { data: error.data }),
            });
          if (upstreamStatusOf(error) === 401)
            throw new GatewayError(
              'upstream_error',
              'The upstream answered 401 to the credentials this server is set up with.',
            );
          throw error;
        }
        const latencyMs = Math.round(performance.now() - started);
        const [record, pins] = await Promise.all([
          store.serverPolicies.current(server.workspaceId, server.id),
          store.toolPins.list(server.workspaceId, server.id),
        ]);
        return {
          ...showCapabilities(listing, {
            record,
            pins,
            member: { userId: caller.user.id, role: access.member?.role },
            manager: can(access.actor, 'server.manage'),
          }),
          latency_ms: latencyMs,
        };
      },
    }),
  ];
}
