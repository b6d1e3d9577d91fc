/**
 * A small in-process gateway for the sign-in page tests (HTTP and browser).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createAuthorizationServer } from '../../src/auth/server/authorization-server.ts';
import { createFirstRunSetup } from '../../src/auth/sign-in/first-run-setup.ts';
import type { FirstRunSetup } from '../../src/auth/sign-in/first-run-setup.ts';
import type { SignInLink } from '../../src/auth/sign-in/page-context.ts';
import { createSignInRoutes } from '../../src/auth/sign-in/sign-in-routes.ts';
import { createSignIn } from '../../src/auth/sign-in/sign-in.ts';
import { parseRuntimeConfig } from '../../src/config/runtime-config.ts';
import { createApp } from '../../src/ingress/create-app.ts';
import { createOriginGuard } from '../../src/ingress/origin-guard.ts';
import { hashPassword } from '../../src/shared/password-hash.ts';
import { createStore } from '../../src/store/create-store.ts';
import type { Store } from '../../src/store/store.ts';
import { freePort } from './free-port.ts';

export interface PagesApp {
  url: string;
  store: Store;
  setup: FirstRunSetup;
  close(): Promise<void>;
}

/**
 * The browser-facing slice of the gateway on a real port: a fresh SQLite
 * store, the authorization server, the sign-in pages (no MCP upstreams).
 * `users` get `password`; the resource `<url>/acme/{everything,other}/mcp` exists.
 */
export async function startPages(
  users: { email: string; isAdmin?: boolean }[],
  password = 'correct horse battery',
  options: { sso?: SignInLink } = {},
): Promise<PagesApp> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-pages-'));
  const port = await freePort();
  const config = parseRuntimeConfig({
    PORTCULLIS_PORT: String(port),
    PORTCULLIS_DATA_DIR: dataDir,
  });
  const store = await createStore({ kind: 'sqlite', file: path.join(dataDir, 'portcullis.db') });
  await store.migrate();
  const passwordHash = await hashPassword(password);
  for (const user of users) await store.users.upsert({ ...user, passwordHash });
  const logger = pino({ level: 'silent' });
  const setup = await createFirstRunSetup(store);
  const signIn = createSignIn({ config, store, logger });
  const authorizationServer = await createAuthorizationServer({
    config,
    store,
    secretKey: randomBytes(32).toString('base64url'),
    logger,
    isResource: (workspaceId, serverId) =>
      workspaceId === 'acme' && ['everything', 'other'].includes(serverId),
    currentUserId: (req) => signIn.currentUserId(req),
  });
  const interactions = authorizationServer.interactions;
  const app = createApp({
    logger,
    bodyLimit: config.bodyLimit,
    originGuard: createOriginGuard(config.publicUrl, []),
    mcpHandler: async (_request, reply) => void reply.code(404).send(),
    isReady: async () => true,
    routeModules: [
      authorizationServer.routeModule,
      createSignInRoutes({ config, store, signIn, interactions, logger, setup, sso: options.sso }),
    ],
  });
  await app.listen({ host: '127.0.0.1', port });
  return {
    url: config.publicUrl,
    store,
    setup,
    async close() {
      await app.close();
      await authorizationServer.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
