/**
 * The built user interface as both of its hosts serve it (the desktop app's app:// scheme and the browser
 * host): which file a request names (never one outside the folder), the headers every answer carries
 * (the page's CSP, nosniff, no referrer), and the page that says the UI is not built yet. Each host only
 * turns the answer into its own response type.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PRODUCT_NAME } from '../app-identity.ts';
import { contentTypeOf } from './page-policy.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Where the renderer is built unless told otherwise (what `serve` loads; the app has its own copy in its folder). */
export const DEFAULT_RENDERER_DIR = path.join(REPO_ROOT, 'dist', 'renderer');

export interface UiAnswer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer> | string;
}

const NOT_BUILT_MESSAGE = 'The user interface has not been built yet. Run <code>npm run build</code>, then reload this page.';

/** The file under `rootDir` a URL path names ('/' is index.html), or null when it does not decode or leads outside. */
export function builtUiFile(rootDir: string, urlPath: string): string | null {
  let pathname: string;
  try {
    pathname = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const relative = pathname === '/' || pathname === '' ? 'index.html' : pathname.replace(/^\/+/, '');
  const root = path.resolve(rootDir);
  const file = path.resolve(root, relative);
  return file.startsWith(root + path.sep) ? file : null;
}

/**
 * The answer to a GET of `urlPath` (null: a request the host refused to map, answered 404): the file with
 * its type, or the "not built" page when the index is missing, or 404. Every answer carries `csp`.
 */
export async function answerUiRequest(rootDir: string, urlPath: string | null, csp: string): Promise<UiAnswer> {
  const guarded = { 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
  const file = urlPath === null ? null : builtUiFile(rootDir, urlPath);
  const isIndex = file === path.join(path.resolve(rootDir), 'index.html');
  // A folder, a missing file or one that went away: no body.
  const body = file === null ? null : await readFile(file).catch(() => null);
  if (file === null || body === null) {
    if (isIndex) {
      const page = `<!doctype html><meta charset="utf-8"><title>${PRODUCT_NAME}</title><p>${NOT_BUILT_MESSAGE}</p>\n`;
      return { status: 200, headers: { ...guarded, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }, body: page };
    }
    return { status: 404, headers: { ...guarded, 'Content-Type': 'text/plain; charset=utf-8' }, body: 'Not found.\n' };
  }
  return {
    status: 200,
    // The page is read fresh each load (a rebuild shows at once); its hashed assets are revalidated.
    headers: { ...guarded, 'Content-Type': contentTypeOf(file), 'Cache-Control': isIndex ? 'no-store' : 'no-cache' },
    body,
  };
}
