/**
 * The page a failed single sign-on ends on: small, static, escaped, and
 * allowed to load nothing (no script, style or frame).
 */
import type { FastifyReply } from 'fastify';
import type { GatewayError } from '../../shared/errors.ts';

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

export function sendSsoErrorPage(
  reply: FastifyReply,
  error: GatewayError,
  links: { signIn: string },
): FastifyReply {
  const body = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign-in failed</title></head>
<body>
<h1>Sign-in failed</h1>
<p>${escapeHtml(error.message)}</p>
<p><a href="${escapeHtml(links.signIn)}">Back to sign-in</a></p>
</body>
</html>
`;
  return reply
    .code(error.status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
    .header('x-frame-options', 'DENY')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(body);
}
