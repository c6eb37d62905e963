/**
 * The desktop app's security rules as plain data and functions (no 'electron' import, so tests load
 * them under Node). The renderer is served from our own `app://workbench/` scheme, never file://, so
 * its origin is unique and the CSP arrives as a real response header; a dev server URL may stand in
 * while developing (RNNWB_DEV_URL).
 */
import { answerUiRequest, type UiAnswer } from '../transport/built-ui.ts';
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

/** The path of an app:// request for the app's own host (still URL-encoded), or null for any other URL. */
export function appRequestPath(requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST ? url.pathname : null;
}

/** The answer to an app:// request: the built UI's file (the browser host's resolver), for the app's own host only. */
export function answerAppRequest(requestUrl: string, rendererDir: string, csp: string): Promise<UiAnswer> {
  return answerUiRequest(rendererDir, appRequestPath(requestUrl), csp);
}
