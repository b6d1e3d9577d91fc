/**
 * The dashboard: the built single-page app (`dashboard/dist`) served from
 * memory. `/` and every unmatched browser navigation (GET, `Accept: text/html`,
 * outside `/api/`) get `index.html`; its hashed assets are routes of their
 * own, registered by exact path so none can shadow a `/<ws>/<server>/mcp`
 * endpoint (a wildcard `/assets/*` would, for a workspace named `assets`).
 *
 * The CSP allows scripts and styles from this origin only: nothing an
 * upstream sends (tool names, descriptions, results) can run here, even if a
 * view rendered it as markup by mistake.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteModule } from './create-app.ts';

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

export interface Dashboard {
  readonly routes: RouteModule;
  /** Answers a browser navigation nothing else matched with the app; false when it is not one. */
  readonly serveNavigation: (request: FastifyRequest, reply: FastifyReply) => boolean;
}

function listFiles(root: string, dir = root): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(root, full) : [full];
  });
}

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Portcullis</title>
<h1>The dashboard is not built</h1><p>Run <code>npm run build</code>, then restart the gateway.
The MCP endpoints and the admin API at <code>/api/v1</code> work without it.</p></html>`;

export function isBrowserNavigation(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (request.url.startsWith('/api/')) return false;
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

export function createDashboard(deps: { distDir: string; logger: FastifyBaseLogger }): Dashboard {
  const assets = new Map<string, Asset>();
  let index: Buffer | undefined;
  try {
    for (const file of listFiles(deps.distDir)) {
      const urlPath = '/' + path.relative(deps.distDir, file).split(path.sep).join('/');
      const body = readFileSync(file);
      if (urlPath === '/index.html') index = body;
      else
        assets.set(urlPath, {
          body,
          type: CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
        });
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (index === undefined)
    deps.logger.warn(
      { distDir: deps.distDir },
      'The dashboard is not built (run npm run build); / explains how to build it.',
    );

  function sendIndex(reply: FastifyReply): FastifyReply {
    return reply
      .code(index === undefined ? 503 : 200)
      .headers({ ...PAGE_HEADERS, 'cache-control': 'no-store' })
      .type('text/html; charset=utf-8')
      .send(index ?? NOT_BUILT);
  }

  return {
    routes(app) {
      app.get('/', async (_request, reply) => sendIndex(reply));
      for (const [urlPath, asset] of assets) {
        // Vite names built assets by content hash: they never change under one name.
        const immutable = urlPath.startsWith('/assets/');
        app.get(urlPath, async (_request, reply) =>
          reply
            .headers({
              'x-content-type-options': 'nosniff',
              'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
            })
            .type(asset.type)
            .send(asset.body),
        );
      }
    },
    serveNavigation: (request, reply) => {
      if (!isBrowserNavigation(request)) return false;
      sendIndex(reply);
      return true;
    },
  };
}
