/**
 * The desktop app's security rules as plain data and functions (no 'electron' import, so tests load
 * them under Node). The renderer is served from our own `app://workbench/` scheme, never file://, so
 * its origin is unique and the CSP arrives as a real response header; a dev server URL may stand in
 * while developing (RNNWB_DEV_URL).
 */
import path from 'node:path';
import { rendererContentSecurityPolicy } from '../transport/page-policy.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'workbench';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** The renderer's CSP; a dev server adds its own origin and its HMR socket. */
export function appContentSecurityPolicy(devUrl?: string): string {
  if (!devUrl) return rendererContentSecurityPolicy();
  const dev = new URL(devUrl);
  return rendererContentSecurityPolicy({ pageOrigins: [dev.origin], connectTo: [dev.origin, `ws://${dev.host}`] });
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
