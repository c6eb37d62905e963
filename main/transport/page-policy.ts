/**
 * What both hosts of the renderer page (the desktop app's app:// scheme and the browser host) say
 * about it: one Content-Security-Policy builder, so the two can never drift apart, and the content
 * types of the built files.
 */
import path from 'node:path';

export interface PageSources {
  /** Origins the page may load scripts, styles and other resources from besides its own (a dev server). */
  pageOrigins?: string[];
  /** Where the page may open connections besides its own origin (WebSocket hosts, a dev server's HMR). */
  connectTo?: string[];
}

/** No remote origins, no eval (WebAssembly compilation allowed), nothing framed, no plugins. */
export function rendererContentSecurityPolicy({ pageOrigins = [], connectTo = [] }: PageSources = {}): string {
  const origins = pageOrigins.map((origin) => ` ${origin}`).join('');
  return [
    `default-src 'self'${origins}`,
    `script-src 'self' 'wasm-unsafe-eval'${origins}`,
    // CodeMirror and KaTeX set styles from script.
    `style-src 'self' 'unsafe-inline'${origins}`,
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    ["connect-src 'self'", ...connectTo].join(' '),
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The Content-Type for a built renderer file, by its extension. */
export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}
