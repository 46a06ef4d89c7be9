import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';

// Server-side helpers for our HTML pages (dashboard, embed): escaping, JSON for data blocks, the
// document head, the Content-Security-Policy and the headers every page sends.

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML text and quoted attribute values (S11). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` as \u escapes, so no
 * value can close the block (`</script>`) or open a comment; U+2028/2029 too, for old parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The CSP source expression allowing exactly this inline `<script>` or `<style>` text. */
export function cspHash(source: string): string {
  return `'sha256-${createHash('sha256').update(source, 'utf8').digest('base64')}'`;
}

/**
 * The Content-Security-Policy of our pages: this origin only; media from `blob:` (MSE) and hls.js's
 * worker; `frameAncestors` says which sites may frame the page. Scripts and styles are our own
 * files (`'self'`: /assets/web/, docs/architecture.md "Front-end"); a page that still has an inline
 * `<script>` or `<style>` passes its text, allowed by hash.
 */
export function pageCsp(page: { script?: string; style?: string; frameAncestors: string }): string {
  const inline = (text: string | undefined) => (text === undefined ? '' : ` ${cspHash(text)}`);
  return [
    "default-src 'none'",
    `script-src 'self'${inline(page.script)}`,
    `style-src 'self'${inline(page.style)}`,
    "img-src 'self' data:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${page.frameAncestors}`,
  ].join('; ');
}

/** A page's own files: stylesheets and ES module scripts (URLs relative to the page, escaped here). */
export interface PageFiles {
  stylesheets: readonly string[];
  modules: readonly string[];
}

/**
 * A page from its doctype to `<body>`: the title (escaped here) and either the page's inline
 * style or its files (module scripts run after the document is parsed, so they sit in the head).
 */
export function pageHead(title: string, style: string | PageFiles): string {
  const head =
    typeof style === 'string'
      ? `<style>${style}</style>`
      : [
          ...style.stylesheets.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`),
          ...style.modules.map((src) => `<script type="module" src="${escapeHtml(src)}"></script>`),
        ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
${head}
</head>
<body>`;
}

/**
 * Headers every page of ours sends, besides its CSP. `referrerPolicy`: `same-origin` by default;
 * `no-referrer` for a page whose URL holds a playback token, so the token is sent nowhere.
 */
export function sendPage(
  reply: FastifyReply,
  status: number,
  csp: string,
  html: string,
  referrerPolicy: 'same-origin' | 'no-referrer' = 'same-origin',
): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('content-security-policy', csp)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', referrerPolicy)
    .send(html);
}
