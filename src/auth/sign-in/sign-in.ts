/**
 * Password sign-in and browser sessions, as the sign-in pages, the
 * authorization server's interactions and the dashboard API use them.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../../config/runtime-config.ts';
import { GatewayError } from '../../shared/errors.ts';
import { hashPassword, verifyPassword } from '../../shared/password-hash.ts';
import type { BrowserSession, User } from '../../store/model.ts';
import type { Store } from '../../store/store.ts';
import { createBrowserSessions } from './browser-sessions.ts';
import type { BrowserSessions } from './browser-sessions.ts';
import { parseCookieHeader } from './cookie-header.ts';
import { createMemoryLoginThrottle } from './login-throttle.ts';
import type { LoginThrottle } from './login-throttle.ts';

/** Longer inputs are refused before hashing so that a huge body cannot buy CPU time. */
const MAX_PASSWORD_LENGTH = 1024;

export interface SignIn {
  readonly sessions: BrowserSessions;
  /** The signed-in user of this request (valid browser session cookie), else undefined. */
  currentSession(
    request: FastifyRequest,
  ): Promise<{ user: User; session: BrowserSession } | undefined>;
  /** The signed-in user's id for a raw request (the authorization server's login check). */
  currentUserId(req: IncomingMessage): Promise<string | undefined>;
  /** Checks email + password, throttled per account and per client address; throws GatewayError. */
  checkPassword(email: string, password: string, clientAddress: string): Promise<User>;
  /** Creates a browser session for `user` and sets its cookie on `reply`. */
  startSession(reply: FastifyReply, user: User): Promise<BrowserSession>;
  endSession(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

export function createSignIn(deps: {
  config: RuntimeConfig;
  store: Store;
  logger: Logger;
  throttle?: LoginThrottle;
}): SignIn {
  const { store, logger } = deps;
  const sessions = createBrowserSessions({ config: deps.config, store });
  const throttle = deps.throttle ?? createMemoryLoginThrottle();
  let dummyHash: Promise<string> | undefined;

  function tokenOf(request: { headers: IncomingMessage['headers'] }): string | undefined {
    return parseCookieHeader(request.headers.cookie).get(sessions.cookieName);
  }

  async function sessionOf(request: { headers: IncomingMessage['headers'] }) {
    const token = tokenOf(request);
    if (token === undefined || token.length < 32) return undefined;
    const session = await sessions.resolve(token);
    if (session === undefined) return undefined;
    const user = await store.users.find(session.userId);
    return user === undefined ? undefined : { user, session };
  }

  const invalid = () => new GatewayError('unauthorized', 'The email or password is incorrect.');

  return {
    sessions,
    currentSession: sessionOf,
    async currentUserId(req) {
      return (await sessionOf(req))?.user.id;
    },
    async checkPassword(email, password, clientAddress) {
      const account = email.trim();
      const wait = await throttle.retryAfter(account, clientAddress);
      // While throttled the password is not even checked: a correct guess must not be confirmed.
      if (wait > 0) {
        logger.warn({ event: 'sign_in.throttled', clientAddress }, 'sign-in throttled');
        throw new GatewayError('too_many_requests', 'Too many failed sign-ins. Try again later.', {
          headers: { 'retry-after': String(wait) },
          data: { retryAfter: wait },
        });
      }
      const user = account === '' ? undefined : await store.users.findByEmail(account);
      // Unknown accounts verify a dummy hash so that timing does not tell which emails exist.
      dummyHash ??= hashPassword(`unknown-account-${Math.random()}`);
      const hash = user?.passwordHash ?? (await dummyHash);
      const ok =
        password.length > 0 &&
        password.length <= MAX_PASSWORD_LENGTH &&
        (await verifyPassword(password, hash));
      if (user === undefined || user.passwordHash === null || !ok) {
        await throttle.recordFailure(account, clientAddress);
        logger.info({ event: 'sign_in.failed', clientAddress }, 'sign-in failed');
        throw invalid();
      }
      await throttle.recordSuccess(account);
      return user;
    },
    async startSession(reply, user) {
      const { session, cookie } = await sessions.create(user.id);
      void reply.header('set-cookie', cookie);
      logger.info({ event: 'sign_in.succeeded', userId: user.id }, 'signed in');
      return session;
    },
    async endSession(request, reply) {
      const token = tokenOf(request);
      if (token !== undefined) await sessions.remove(token);
      void reply.header('set-cookie', sessions.clearCookie());
    },
  };
}
