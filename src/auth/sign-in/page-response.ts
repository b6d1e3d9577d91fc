/**
 * Every sign-in page goes out through sendPage: one document shell and the
 * security headers. No script runs on these pages, so the CSP allows none;
 * styles come from one same-origin stylesheet. `form-action` is left out on
 * purpose: Chromium applies it to the redirect that follows a consent POST
 * and would block the redirect to the client (any origin, custom schemes).
 */
import type { FastifyReply } from 'fastify';
import { html } from './html.ts';
import type { SafeHtml } from './html.ts';

export const STYLESHEET_PATH = '/sign-in/style.css';

export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function renderDocument(title: string, body: SafeHtml): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Portcullis</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
      </head>
      <body>
        <main>
          <p class="brand">Portcullis</p>
          ${body}
        </main>
      </body>
    </html> `.__html;
}

export function sendPage(
  reply: FastifyReply,
  status: number,
  title: string,
  body: SafeHtml,
): FastifyReply {
  return reply
    .code(status)
    .headers(PAGE_SECURITY_HEADERS)
    .type('text/html; charset=utf-8')
    .send(renderDocument(title, body));
}

/** A page with a heading and a sentence: errors, expired links, refusals. */
export function sendMessage(
  reply: FastifyReply,
  status: number,
  title: string,
  message: string,
  extra?: SafeHtml,
): FastifyReply {
  return sendPage(
    reply,
    status,
    title,
    html`<h1>${title}</h1>
      <p>${message}</p>
      ${extra}`,
  );
}

export const STYLESHEET = `:root{color-scheme:light dark;--fg:#1d1d1f;--muted:#5f6368;--bg:#f6f7f9;--card:#fff;--line:#d0d4da;--accent:#1f5fbf;--warn:#8a4b00;--warnbg:#fff4e0;--err:#a4161a;--errbg:#fdecec}
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--muted:#a0a4aa;--bg:#16181c;--card:#202329;--line:#3a3f47;--accent:#7aa7ff;--warn:#ffcc80;--warnbg:#3a2a10;--err:#ff8a80;--errbg:#3a1a1a}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:28rem;margin:2rem auto;padding:1.5rem;background:var(--card);border:1px solid var(--line);border-radius:.75rem}
@media (max-width:30rem){main{margin:0;border-radius:0;border-width:0 0 1px}}
.brand{margin:0 0 1rem;font-weight:600;color:var(--muted);letter-spacing:.02em}
h1{font-size:1.35rem;margin:0 0 1rem}
label{display:block;font-weight:600;margin:.9rem 0 .25rem}
input[type=email],input[type=password],input[type=text]{width:100%;padding:.6rem .7rem;font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:.4rem}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.actions{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1.25rem}
button{font:inherit;padding:.6rem 1.1rem;border-radius:.4rem;border:1px solid var(--line);background:var(--card);color:inherit;cursor:pointer}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
@media (prefers-color-scheme:dark){button.primary{color:#000}}
.hint{color:var(--muted);font-size:.9rem}
.error{color:var(--err);background:var(--errbg);padding:.6rem .8rem;border-radius:.4rem}
.warning{color:var(--warn);background:var(--warnbg);padding:.6rem .8rem;border-radius:.4rem}
ul{padding-left:1.2rem}
code{font-size:.9em;word-break:break-all}
fieldset{border:1px solid var(--line);border-radius:.4rem;margin:1rem 0 0;padding:.25rem .9rem .9rem}
legend{padding:0 .3rem;color:var(--muted)}
`;
