/**
 * The changes the sign-in pages make are recorded by the person behind
 * them: the first administrator creating themselves at setup, and the
 * invited person signing up or joining.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createCookieJar, findForm } from '../../../test/support/cookie-jar.ts';
import { freePort } from '../../../test/support/free-port.ts';
import { createAuditLog } from '../../audit/audit-log.ts';
import type { AuditLog } from '../../audit/audit-log.ts';
import { parseRuntimeConfig } from '../../config/runtime-config.ts';
import { createApp } from '../../ingress/create-app.ts';
import { createOriginGuard } from '../../ingress/origin-guard.ts';
import { hashPassword } from '../../shared/password-hash.ts';
import { createStore } from '../../store/create-store.ts';
import type { Store } from '../../store/store.ts';
import { createAuthorizationServer } from '../server/authorization-server.ts';
import { createFirstRunSetup } from './first-run-setup.ts';
import type { FirstRunSetup } from './first-run-setup.ts';
import { createSignInRoutes } from './sign-in-routes.ts';
import { createSignIn } from './sign-in.ts';

const PASSWORD = 'correct horse battery';

interface Pages {
  url: string;
  store: Store;
  audit: AuditLog;
  setup: FirstRunSetup;
  close(): Promise<void>;
}

/** The sign-in pages wired as main.ts wires them: a watched store and the audit log. */
async function startPages(): Promise<Pages> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-sign-in-audit-'));
  const port = await freePort();
  const config = parseRuntimeConfig({
    PORTCULLIS_PORT: String(port),
    PORTCULLIS_DATA_DIR: dataDir,
  });
  const store = await createStore({ kind: 'sqlite', file: path.join(dataDir, 'portcullis.db') });
  await store.migrate();
  const logger = pino({ level: 'silent' });
  const setup = await createFirstRunSetup(store);
  const audit = createAuditLog({ store });
  const signIn = createSignIn({ config, store, logger });
  const authorizationServer = await createAuthorizationServer({
    config,
    store,
    secretKey: randomBytes(32).toString('base64url'),
    logger,
    isResource: () => false,
    currentUserId: (req) => signIn.currentUserId(req),
  });
  const app = createApp({
    logger,
    bodyLimit: config.bodyLimit,
    originGuard: createOriginGuard(config.publicUrl, []),
    mcpHandler: async (_request, reply) => void reply.code(404).send(),
    isReady: async () => true,
    routeModules: [
      createSignInRoutes({
        config,
        store: audit.watch(store),
        audit,
        signIn,
        interactions: authorizationServer.interactions,
        logger,
        setup,
      }),
    ],
  });
  await app.listen({ host: '127.0.0.1', port });
  return {
    url: config.publicUrl,
    store,
    audit,
    setup,
    async close() {
      await app.close();
      await authorizationServer.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** `[action, actor kind, actor id, actor email]` of every entry, oldest first. */
async function actors(audit: AuditLog): Promise<string[][]> {
  return (await audit.list({ limit: 100 }))
    .reverse()
    .map((entry) => [
      entry.action,
      entry.actorKind,
      entry.actorId ?? 'null',
      entry.actorEmail ?? 'null',
    ]);
}

describe('who the audit log names for sign-in page changes', () => {
  let pages: Pages;
  before(async () => {
    pages = await startPages();
  });
  after(() => pages.close());

  it('first-run setup: the new administrator creates themselves, the workspace and the membership', async () => {
    const link = pages.setup.link(pages.url) ?? '';
    const jar = createCookieJar();
    const form = findForm((await jar.get(link)).body, '/setup');
    const answer = await jar.post(new URL(form.action, pages.url).href, {
      ...form.fields,
      email: 'root@acme.test',
      password: PASSWORD,
      confirm: PASSWORD,
      workspace_id: 'acme',
      workspace_name: 'Acme',
    });
    assert.equal(answer.status, 303);
    const root = (await pages.store.users.findByEmail('root@acme.test'))!;
    assert.deepEqual(await actors(pages.audit), [
      ['user.create', 'user', root.id, 'root@acme.test'],
      ['workspace.create', 'user', root.id, 'root@acme.test'],
      ['member.create', 'user', root.id, 'root@acme.test'],
    ]);
  });

  it('invitations: a new person signs up as themselves, an existing one joins as themselves', async () => {
    const before = (await pages.audit.list({ limit: 100 })).length;
    const inviter = (await pages.store.users.findByEmail('root@acme.test'))!;
    const invite = (email: string, token: string) =>
      pages.store.invitations.create({
        workspaceId: 'acme',
        email,
        role: 'member',
        serverIds: null,
        tokenHash: createHash('sha256').update(token).digest('hex'),
        invitedBy: inviter.id,
        expiresAt: new Date(Date.now() + 3_600_000),
      });

    await invite('new@acme.test', 'new-person-token-1234567890');
    const url = `${pages.url}/invitations/new-person-token-1234567890`;
    const jar = createCookieJar();
    const signUp = findForm((await jar.get(url)).body);
    const joined = await jar.post(url, { ...signUp.fields, password: PASSWORD, confirm: PASSWORD });
    assert.equal(joined.status, 303);
    const newcomer = (await pages.store.users.findByEmail('new@acme.test'))!;

    await pages.store.users.upsert({
      email: 'known@acme.test',
      passwordHash: await hashPassword(PASSWORD, 10),
    });
    const known = (await pages.store.users.findByEmail('known@acme.test'))!;
    await invite('known@acme.test', 'known-person-token-1234567890');
    const knownUrl = `${pages.url}/invitations/known-person-token-1234567890`;
    const knownJar = createCookieJar();
    const login = findForm((await knownJar.get(`${pages.url}/login`)).body, '/login');
    await knownJar.post(`${pages.url}/login`, {
      ...login.fields,
      email: 'known@acme.test',
      password: PASSWORD,
    });
    const join = findForm((await knownJar.get(knownUrl)).body);
    assert.equal((await knownJar.post(knownUrl, join.fields)).status, 303);

    assert.deepEqual((await actors(pages.audit)).slice(before), [
      ['user.create', 'user', newcomer.id, 'new@acme.test'],
      ['invitation.accept', 'user', newcomer.id, 'new@acme.test'],
      ['member.create', 'user', newcomer.id, 'new@acme.test'],
      ['invitation.accept', 'user', known.id, 'known@acme.test'],
      ['member.create', 'user', known.id, 'known@acme.test'],
    ]);
  });
});
