/**
 * Test support for the admin API's route tests: an app built with createApp
 * and the admin API over a real SQLite store in a temp dir, seeded with one
 * user per role, their API keys, and browser sessions on request.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, RouteOptions } from 'fastify';
import pino from 'pino';
import { createSignIn } from '../auth/sign-in/sign-in.ts';
import { createConnections } from '../auth/upstream-credentials/connections.ts';
import { createUpstreamOAuthClient } from '../auth/upstream-oauth/upstream-oauth-client.ts';
import { createVault } from '../auth/upstream-credentials/vault.ts';
import type { Vault } from '../auth/upstream-credentials/vault.ts';
import { parseRuntimeConfig } from '../config/runtime-config.ts';
import { createApp } from '../ingress/create-app.ts';
import { createOriginGuard } from '../ingress/origin-guard.ts';
import { apiKeyPrefix, hashApiKey } from '../shared/api-key-hash.ts';
import { hashPassword } from '../shared/password-hash.ts';
import { createStore } from '../store/create-store.ts';
import type { Role, User } from '../store/model.ts';
import type { Store } from '../store/store.ts';
import type { AdminDeps } from './admin-deps.ts';
import { createAdminApi } from './admin-api.ts';
import { createAuditLog } from '../audit/audit-log.ts';
import { generateApiKey } from './api-keys-routes.ts';

export const PUBLIC_URL = 'https://gateway.example.com';
export const PASSWORD = 'correct horse battery';

/** Seeded users of workspace `acme`; `outsider` owns `other`; `root` is an instance admin. */
export const PEOPLE = {
  owner: { role: 'owner', servers: null },
  admin: { role: 'admin', servers: null },
  member: { role: 'member', servers: ['github'] },
  viewer: { role: 'viewer', servers: null },
  outsider: { role: null, servers: null },
  root: { role: null, servers: null },
} as const satisfies Record<string, { role: Role | null; servers: readonly string[] | null }>;
export type Person = keyof typeof PEOPLE;

export interface AdminTestApp {
  app: FastifyInstance;
  store: Store;
  /** Seals upstream header values written through the API. */
  vault: Vault;
  users: Record<Person, User>;
  /** A working API key per seeded person (root has none: keys never carry instance powers). */
  keys: Record<Exclude<Person, 'root'>, string>;
  /** Every route Fastify registered, seen by an onRoute hook. */
  routes: RouteOptions[];
  credentialsChanged: () => number;
  revokedGrants: string[];
  bearer(person: Exclude<Person, 'root'>): Record<string, string>;
  /** Signs `person` in: the cookie header and the session's CSRF token. */
  session(person: Person): Promise<{ cookie: string; csrfToken: string }>;
  addApiKey(person: Person, workspaceId: string, servers?: string[] | null): Promise<string>;
  close(): Promise<void>;
}

export async function startAdminTestApp(
  options: Pick<
    AdminDeps,
    'serverStatus' | 'memberProcesses' | 'upstreamProbe' | 'usageCounters'
  > = {},
): Promise<AdminTestApp> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'admin-api-'));
  const store = await createStore({ kind: 'sqlite', file: path.join(dir, 'test.sqlite') });
  await store.migrate();
  const config = parseRuntimeConfig({
    PORTCULLIS_PUBLIC_URL: PUBLIC_URL,
    PORTCULLIS_DATA_DIR: dir,
  });
  const logger = pino({ level: 'silent' });
  const vault = createVault({ secretKey: 'admin-api-test-secret-key-of-enough-length' });

  await store.workspaces.upsert({ id: 'acme', name: 'Acme' });
  await store.workspaces.upsert({ id: 'other', name: 'Other' });
  for (const id of ['github', 'linear']) {
    await store.servers.upsert({
      workspaceId: 'acme',
      id,
      name: id,
      transport: 'http',
      url: `https://${id}.example.com/mcp`,
      env: { TOKEN: 'secret-value' },
      timeoutMs: 1000,
    });
  }
  const passwordHash = await hashPassword(PASSWORD);
  const users = {} as Record<Person, User>;
  for (const [person, seed] of Object.entries(PEOPLE) as [Person, (typeof PEOPLE)[Person]][]) {
    users[person] = await store.users.upsert({
      email: `${person}@acme.test`,
      name: person,
      passwordHash,
      isAdmin: person === 'root',
    });
    if (seed.role !== null)
      await store.members.upsert({
        workspaceId: 'acme',
        userId: users[person].id,
        role: seed.role,
        serverIds: seed.servers,
      });
  }
  await store.members.upsert({ workspaceId: 'other', userId: users.outsider.id, role: 'owner' });

  async function addApiKey(person: Person, workspaceId: string, servers: string[] | null = null) {
    const key = generateApiKey();
    await store.apiKeys.upsert({
      name: `${person}-${key.slice(4, 12)}`,
      userId: users[person].id,
      workspaceId,
      keyHash: hashApiKey(key),
      prefix: apiKeyPrefix(key),
      serverIds: servers,
    });
    return key;
  }
  const keys = {
    owner: await addApiKey('owner', 'acme'),
    admin: await addApiKey('admin', 'acme'),
    member: await addApiKey('member', 'acme'),
    viewer: await addApiKey('viewer', 'acme'),
    outsider: await addApiKey('outsider', 'other'),
  };

  const signIn = createSignIn({ config, store, logger });
  let changes = 0;
  const revokedGrants: string[] = [];
  const routes: RouteOptions[] = [];
  const app = createApp({
    logger,
    bodyLimit: 65_536,
    originGuard: createOriginGuard(PUBLIC_URL, []),
    mcpHandler: async (_request, reply) => void reply.code(204).send(),
    isReady: async () => true,
    routeModules: [
      (instance) => instance.addHook('onRoute', (route) => void routes.push(route)),
      createAdminApi({
        config,
        store,
        signIn,
        logger,
        onCredentialsChanged: async () => void changes++,
        onGrantRevoked: (grantId) => void revokedGrants.push(grantId),
        vault,
        audit: createAuditLog({ store }),
        // Real connection routes, so the OpenAPI document (and the dashboard's types) list them.
        connections: createConnections({
          store,
          vault,
          oauthClient: createUpstreamOAuthClient({ publicUrl: PUBLIC_URL, allowPrivate: [] }),
          publicUrl: PUBLIC_URL,
          signIn,
          logger,
        }),
        ...options,
      }),
    ],
  });
  await app.ready();

  return {
    app,
    store,
    vault,
    users,
    keys,
    routes,
    credentialsChanged: () => changes,
    revokedGrants,
    bearer: (person) => ({ authorization: `Bearer ${keys[person]}` }),
    async session(person) {
      const { token, session } = await signIn.sessions.create(users[person].id);
      return { cookie: `${signIn.sessions.cookieName}=${token}`, csrfToken: session.csrfToken };
    },
    addApiKey,
    async close() {
      await app.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

type InjectResponse = Awaited<ReturnType<FastifyInstance['inject']>>;

/** One admin API request; `body` is sent as JSON. */
export async function call(
  t: AdminTestApp,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; json: InjectResponse['json']; headers: InjectResponse['headers'] }> {
  const response = await t.app.inject({
    method,
    url,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return {
    status: response.statusCode,
    json: response.json.bind(response),
    headers: response.headers,
  };
}
