/**
 * Starts a real gateway in-process for system tests: its own data dir, a
 * declarative config file, an API key, and loopback upstreams allowlisted.
 */
import crypto from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import pino from 'pino';
import type { Logger } from 'pino';
import { parseRuntimeConfig } from '../../src/config/runtime-config.ts';
import { startGateway } from '../../src/main.ts';
import { createStore } from '../../src/store/create-store.ts';
import { SQLITE_FILE_NAME } from '../../src/store/store-options.ts';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import type { Gateway } from '../../src/main.ts';

export interface TestServer {
  id: string;
  transport?: 'http' | 'sse' | 'stdio';
  url?: string;
  command?: string;
  args?: string[];
  /** Environment of a stdio server: literal values, or members' own secrets (`member_secret`). */
  env?: Record<string, string | { member_secret: string; description?: string }>;
  timeout_ms?: number;
  /** The declarative `upstream_auth` entry, as in the config file. */
  upstream_auth?: Record<string, unknown>;
  /** The declarative `capture` entry (request record capture mode and masks). */
  capture?: string | { mode: string; masks?: string[] };
}

/** A user of the test gateway: signs in with `password`, belongs to the test workspace with `role`. */
export interface TestUser {
  email: string;
  password?: string;
  /** Instance administrator (declarative `admin: true`). */
  admin?: boolean;
  /** Role in the test workspace; not a member when absent. */
  role?: 'owner' | 'admin' | 'member' | 'viewer';
  /** Server ids the member may reach; every server when absent. */
  servers?: string[];
}

export interface TestGateway {
  gateway: Gateway;
  /** Base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  apiKey: string;
  /** Full MCP endpoint URL of a server in the test workspace. */
  endpoint(serverId: string, workspace?: string): string;
  dataDir: string;
  /** Shuts the gateway down (which flushes the record queue) and reads the workspace's request records. */
  closeAndReadRecords(workspace?: string): Promise<RequestRecord[]>;
  close(): Promise<void>;
}

export async function startTestGateway(options: {
  servers: TestServer[];
  env?: Record<string, string>;
  workspace?: string;
  /** Users besides admin@acme.test (owner, no password). Passwords reach the config by `password_env`. */
  users?: TestUser[];
  /** More workspaces with the same servers and members as the test workspace. */
  otherWorkspaces?: string[];
  /** The gateway's logger (to read what it logs); silent by default. */
  logger?: Logger;
  /** The declarative `limits:` of the test workspace (usage-limit rules). */
  limits?: Record<string, unknown>[];
}): Promise<TestGateway> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-test-'));
  const workspace = options.workspace ?? 'acme';
  const apiKey = `pcl_${crypto.randomBytes(32).toString('base64url')}`;
  const configFile = path.join(dataDir, 'portcullis.yaml');
  const users = options.users ?? [];
  const passwords: Record<string, string> = {};
  users.forEach((user, index) => {
    if (user.password !== undefined) passwords[`TEST_USER_PASSWORD_${index}`] = user.password;
  });
  await writeFile(
    configFile,
    stringify({
      users: [
        { email: 'admin@acme.test' },
        ...users.map((user, index) => ({
          email: user.email,
          ...(user.password === undefined ? {} : { password_env: `TEST_USER_PASSWORD_${index}` }),
          ...(user.admin === undefined ? {} : { admin: user.admin }),
        })),
      ],
      workspaces: [workspace, ...(options.otherWorkspaces ?? [])].map((id) => ({
        id,
        name: id,
        members: [
          { email: 'admin@acme.test', role: 'owner' },
          ...users.flatMap((user) =>
            user.role === undefined
              ? []
              : [
                  {
                    email: user.email,
                    role: user.role,
                    ...(user.servers === undefined ? {} : { servers: user.servers }),
                  },
                ],
          ),
        ],
        servers: options.servers.map((server) => ({ transport: 'http', ...server })),
        ...(options.limits === undefined || id !== workspace ? {} : { limits: options.limits }),
      })),
      api_keys: [{ name: 'test', user: 'admin@acme.test', workspace, key_env: 'TEST_API_KEY' }],
    }),
  );
  const env = {
    PORTCULLIS_HOST: '127.0.0.1',
    PORTCULLIS_PORT: '0',
    PORTCULLIS_DATA_DIR: dataDir,
    PORTCULLIS_SECRET_KEY: crypto.randomBytes(32).toString('base64url'),
    PORTCULLIS_CONFIG: configFile,
    PORTCULLIS_UPSTREAM_ALLOW_PRIVATE: '127.0.0.0/8,::1',
    PORTCULLIS_LOG_LEVEL: process.env.PORTCULLIS_TEST_LOG_LEVEL ?? 'silent',
    TEST_API_KEY: apiKey,
    ...passwords,
    ...options.env,
  };
  const config = parseRuntimeConfig(env);
  const gateway = await startGateway({
    config,
    env,
    logger: options.logger ?? pino({ level: env.PORTCULLIS_LOG_LEVEL }),
  });
  const url = gateway.url;
  return {
    gateway,
    url,
    apiKey,
    dataDir,
    endpoint: (serverId, ws = workspace) => `${url}/${ws}/${serverId}/mcp`,
    async closeAndReadRecords(ws = workspace) {
      await gateway.close();
      const store = await createStore({
        kind: 'sqlite',
        file: path.join(dataDir, SQLITE_FILE_NAME),
      });
      try {
        return await store.requestRecords.list({ workspaceId: ws, limit: 10_000 });
      } finally {
        await store.close();
      }
    },
    async close() {
      await gateway.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
