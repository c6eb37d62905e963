/**
 * The desktop app's security rules as plain data and functions (no 'electron' import, so tests load
 * them under Node). The renderer is served from our own `app://workbench/` scheme, never file://, so
 * its origin is unique and the CSP arrives as a real response header; a dev server URL may stand in
 * while developing (RNNWB_DEV_URL).
 */
import path from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'workbench';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** No remote origins, no eval (WebAssembly compilation allowed), nothing framed, no plugins. */
export function appContentSecurityPolicy(devUrl?: string): string {
  const dev = devUrl ? new URL(devUrl) : null;
  // Vite's dev server needs its own origin and its HMR socket.
  const devSources = dev ? ` ${dev.origin} ws://${dev.host}` : '';
  return [
    `default-src 'self'${dev ? ` ${dev.origin}` : ''}`,
    `script-src 'self' 'wasm-unsafe-eval'${dev ? ` ${dev.origin}` : ''}`,
    // CodeMirror and KaTeX set styles from script.
    `style-src 'self' 'unsafe-inline'${dev ? ` ${dev.origin}` : ''}`,
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${devSources}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Whether a URL is the app's own page (our scheme, or the dev server when one is configured). */
export function isAppUrl(url: string | undefined | null, devUrl?: string): boolean {
  if (!url) return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST) return true;
  if (devUrl) return parsed.origin === new URL(devUrl).origin;
  return false;
}

/** The file under `rootDir` an app:// request maps to, or null when the path escapes it. */
export function fileForAppRequest(requestUrl: string, rootDir: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  const relative = pathname === '/' || pathname === '' ? 'index.html' : pathname.replace(/^\/+/, '');
  const root = path.resolve(rootDir);
  const file = path.resolve(root, relative);
  return file.startsWith(root + path.sep) ? file : null;
}

export const CONTENT_TYPES: Record<string, string> = {
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
