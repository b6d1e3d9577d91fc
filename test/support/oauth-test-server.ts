/**
 * The authorization server alone on a real listener, with a throwaway
 * SQLite store and stand-in interaction routes (`/interaction/:uid/…`)
 * that call `interactions.*` directly — the sign-in pages' contract,
 * without their forms. The stand-in login sets a `test_user` cookie that
 * plays the browser session. Used by the authorization server's system test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import pino from 'pino';
import { createAuthorizationServer } from '../../src/auth/server/authorization-server.ts';
import type { AuthorizationServer } from '../../src/auth/server/authorization-server.ts';
import { parseRuntimeConfig } from '../../src/config/runtime-config.ts';
import { createApp } from '../../src/ingress/create-app.ts';
import { createOriginGuard } from '../../src/ingress/origin-guard.ts';
import { createStore } from '../../src/store/create-store.ts';
import type { Store } from '../../src/store/store.ts';
import { freePort } from './free-port.ts';

export interface OAuthTestServer {
  url: string;
  store: Store;
  as: AuthorizationServer;
  userId: string;
  revokedGrants: string[];
  close(): Promise<void>;
}

export async function startOAuthTestServer(options: {
  resources: Array<[workspaceId: string, serverId: string]>;
  env?: Record<string, string>;
}): Promise<OAuthTestServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-as-e2e-'));
  const port = await freePort();
  const config = parseRuntimeConfig({
    PORTCULLIS_HOST: '127.0.0.1',
    PORTCULLIS_PORT: String(port),
    PORTCULLIS_DATA_DIR: dir,
    ...options.env,
  });
  const store = await createStore({ kind: 'sqlite', file: path.join(dir, 'as.db') });
  await store.migrate();
  const user = await store.users.upsert({ email: 'member@acme.test', name: 'Member' });
  // The token endpoint issues tokens only to members who may still reach the resource.
  for (const workspaceId of new Set(options.resources.map(([ws]) => ws))) {
    await store.workspaces.upsert({ id: workspaceId, name: workspaceId });
    await store.members.upsert({ workspaceId, userId: user.id, role: 'member', serverIds: null });
  }
  const logger = pino({ level: process.env.PORTCULLIS_TEST_LOG_LEVEL ?? 'silent' });
  const known = new Set(options.resources.map(([ws, srv]) => `${ws}/${srv}`));
  const as = await createAuthorizationServer({
    config,
    store,
    secretKey: crypto.randomBytes(32).toString('base64url'),
    logger,
    isResource: (ws, srv) => known.has(`${ws}/${srv}`),
    currentUserId: async (req) =>
      /(?:^|;\s*)test_user=([^;]+)/.exec(req.headers.cookie ?? '')?.[1] ?? undefined,
  });
  const revokedGrants: string[] = [];
  as.onGrantRevoked((grantId) => revokedGrants.push(grantId));

  const app = createApp({
    logger,
    bodyLimit: 1024 * 1024,
    originGuard: createOriginGuard(config.publicUrl, []),
    mcpHandler: async (_request, reply) => void reply.code(404).send(),
    isReady: async () => true,
    routeModules: [
      as.routeModule,
      (instance) => {
        instance.get('/interaction/:uid', async (request, reply) =>
          reply.send(await as.interactions.details(request.raw, reply.raw)),
        );
        for (const step of ['login', 'consent', 'deny'] as const) {
          instance.post(`/interaction/:uid/${step}`, async (request, reply) => {
            // Resolve the interaction first so unknown ones answer as JSON errors.
            await as.interactions.details(request.raw, reply.raw);
            if (step === 'login') reply.raw.setHeader('set-cookie', `test_user=${user.id}; Path=/`);
            reply.hijack();
            if (step === 'login')
              await as.interactions.finishLogin(request.raw, reply.raw, user.id);
            else if (step === 'consent')
              await as.interactions.finishConsent(request.raw, reply.raw, user.id);
            else await as.interactions.deny(request.raw, reply.raw, 'The user said no.');
          });
        }
      },
    ],
  });
  await app.listen({ host: '127.0.0.1', port });
  return {
    url: config.publicUrl,
    store,
    as,
    userId: user.id,
    revokedGrants,
    async close() {
      await app.close();
      await as.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
