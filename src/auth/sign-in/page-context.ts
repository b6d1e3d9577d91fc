/**
 * What every sign-in route needs, and the few steps they share: reading a
 * form body, CSRF refusal, turning a thrown GatewayError into a page, and
 * handing the raw response to the authorization server.
 */
import type { AuditContext } from '../../audit/audit-context.ts';
import type { AuditLog } from '../../audit/audit-log.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../../config/runtime-config.ts';
import { isGatewayError } from '../../shared/errors.ts';
import type { Store } from '../../store/store.ts';
import type { Csrf } from './csrf.ts';
import type { FirstRunSetup } from './first-run-setup.ts';
import type { InteractionView, Interactions } from './interactions-port.ts';
import { html } from './html.ts';
import { PAGE_SECURITY_HEADERS, renderDocument, sendMessage } from './page-response.ts';
import type { SignIn } from './sign-in.ts';

export interface PageContext {
  config: RuntimeConfig;
  store: Store;
  signIn: SignIn;
  interactions: Interactions;
  setup: FirstRunSetup;
  csrf: Csrf;
  logger: Logger;
  sso?: SignInLink;
  /** Per-user upstream accounts to connect before a consent finishes (upstream OAuth). */
  upstreamConsent?: UpstreamConsent;
  /** Names the person behind the changes the pages make (`store` is watched by the audit log). */
  audit?: Pick<AuditLog, 'actingAs'>;
}

/** Runs `work` with `who` as the actor of the audited changes it makes. */
export function actingAs<T>(
  context: Pick<PageContext, 'audit'>,
  who: AuditContext,
  work: () => Promise<T>,
): Promise<T> {
  return context.audit === undefined ? work() : context.audit.actingAs(who, work);
}

/** The part of upstream connections the consent step needs (connections-consent.ts). */
export interface UpstreamConsent {
  next(view: InteractionView, userId: string): Promise<string | undefined>;
}

/** The part of single sign-on the pages show: a link that signs in and returns to `next`. */
export interface SignInLink {
  readonly label: string;
  loginUrl(next?: string): string;
}

const EXPIRED =
  'This sign-in request is unknown or has expired. Go back to the application and connect again.';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

export function readForm(request: FastifyRequest): URLSearchParams {
  const body = request.body;
  return new URLSearchParams(Buffer.isBuffer(body) ? body.toString('utf8') : '');
}

export function refuseCsrf(reply: FastifyReply): FastifyReply {
  return sendMessage(
    reply,
    403,
    'Form expired',
    'This form could not be verified. Go back, reload the page and try again.',
  );
}

/** Checks a new password against the rules; the problem as a sentence, or undefined. */
export function passwordProblem(password: string, confirm: string): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH)
    return `The password must have at least ${MIN_PASSWORD_LENGTH} characters.`;
  if (password.length > MAX_PASSWORD_LENGTH)
    return `The password must have at most ${MAX_PASSWORD_LENGTH} characters.`;
  if (password !== confirm) return 'The two passwords differ.';
  return undefined;
}

/** A same-origin relative path to continue to after sign-in; anything else becomes `/`. */
export function safeNext(next: string | null | undefined): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.length > 2048) return '/';
  // `//host` and `/\host` are protocol-relative to browsers, which also drop tabs and
  // newlines inside URLs (`/\t/host`): control characters and backslashes are never ours.
  if (next.startsWith('//')) return '/';
  for (let i = 0; i < next.length; i += 1) {
    const code = next.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x5c) return '/';
  }
  // A Location header carries visible ASCII only (Node refuses the rest with ERR_INVALID_CHAR);
  // the browser decodes the escapes back into the same local path.
  if (!next.isWellFormed()) return '/';
  return next.replace(/[^\x21-\x7e]+/g, encodeURIComponent);
}

/**
 * Fastify does not send headers set on `reply` once hijacked; copy them
 * (Set-Cookie of a fresh session, security headers) to the raw response the
 * authorization server writes its redirect on.
 */
export function hijack(reply: FastifyReply): void {
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) reply.raw.setHeader(name, value);
  }
  reply.hijack();
}

function writeRawMessage(
  reply: FastifyReply,
  status: number,
  title: string,
  message: string,
): void {
  const raw = reply.raw;
  raw.statusCode = status;
  for (const [name, value] of Object.entries(PAGE_SECURITY_HEADERS)) raw.setHeader(name, value);
  raw.removeHeader('location');
  raw.setHeader('content-type', 'text/html; charset=utf-8');
  raw.end(
    renderDocument(
      title,
      html`<h1>${title}</h1>
        <p>${message}</p>`,
    ),
  );
}

/** Renders a thrown GatewayError as a page; other errors go to the app's error handler. */
export function withErrorPage<R extends FastifyRequest>(
  logger: Logger,
  handler: (request: R, reply: FastifyReply) => Promise<unknown>,
): (request: R, reply: FastifyReply) => Promise<unknown> {
  return async (request, reply) => {
    try {
      return await handler(request, reply);
    } catch (error) {
      if (reply.raw.headersSent) {
        logger.error({ err: error }, 'sign-in page failed after responding');
        return reply;
      }
      if (reply.sent) {
        // Hijacked for the authorization server, which threw before writing anything.
        logger.error({ err: error }, 'authorization server interaction failed');
        const failure = isGatewayError(error) ? error : undefined;
        writeRawMessage(
          reply,
          failure?.code === 'not_found' ? 404 : (failure?.status ?? 500),
          failure?.code === 'not_found' ? 'Link expired' : 'Something went wrong',
          failure?.code === 'not_found'
            ? EXPIRED
            : 'The request could not be completed. Go back to the application and connect again.',
        );
        return reply;
      }
      if (!isGatewayError(error) || error.code === 'internal') throw error;
      if (error.code === 'not_found') {
        return sendMessage(reply, 404, 'Link expired', EXPIRED);
      }
      return sendMessage(
        reply.headers(error.headers ?? {}),
        error.status,
        'Something went wrong',
        error.message,
      );
    }
  };
}
