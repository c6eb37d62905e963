import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util/out/DebugLogger.js';
import type { Configuration } from 'electron-builder';
import config, { TARGETS } from '../../electron.config.ts';
import { APP_ENTRY_URL, appContentSecurityPolicy, appRequestPath, isAppUrl } from '../../main/electron/security.ts';
import { builtUiFile } from '../../main/transport/built-ui.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function targetNames(target: unknown): string[] {
  const list = Array.isArray(target) ? target : [target];
  return list.map((t) => (typeof t === 'string' ? t : (t as { target: string }).target));
}

describe('electron.config.ts', () => {
  it('names the product and every target: AppImage, deb, dmg, nsis', () => {
    expect(config.productName).toBe('Recurrent Workbench');
    expect(config.appId).toMatch(/^[a-z0-9.-]+$/);
    expect(targetNames(config.linux?.target)).toEqual(['AppImage', 'deb']);
    expect(targetNames(config.mac?.target)).toEqual(['dmg']);
    expect(targetNames(config.win?.target)).toEqual(['nsis']);
    expect(TARGETS).toEqual({ linux: ['AppImage', 'deb'], mac: ['dmg'], win: ['nsis'] });
  });

  it('packages the bundles, the kernels and package.json, and unpacks native and WebAssembly files', () => {
    const files = config.files as string[];
    expect(files).toContain('dist/**/*');
    expect(files).toContain('package.json');
    expect(files.some((f) => f.includes('engine/kernels') && f.endsWith('.wasm'))).toBe(true);
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['**/*.node', '**/*.wasm']));
    expect(config.npmRebuild).toBe(true);
    expect(config.buildDependenciesFromSource).toBe(true);
    expect((config.extraMetadata as { main: string }).main).toBe('dist/electron/main.js');
  });

  it("passes electron-builder's own configuration validation", async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('the validation is real: it refuses an unknown option', async () => {
    const broken = { ...config, asarUnpackk: ['**/*.node'] } as unknown as Configuration;
    await expect(validateConfiguration(broken, new DebugLogger(false))).rejects.toThrow(/unknown property 'asarUnpackk'/);
  });
});

describe('the desktop window security rules', () => {
  it('the CSP allows no remote origin and no eval, only WebAssembly compilation', () => {
    const csp = appContentSecurityPolicy();
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).not.toContain("'unsafe-eval'");
    expect(csp).not.toMatch(/https?:/);
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    // With a dev server, exactly its origin (and its HMR socket) is added.
    const dev = appContentSecurityPolicy('http://localhost:5173/');
    expect(dev).toContain('connect-src \'self\' http://localhost:5173 ws://localhost:5173');
  });

  it('only the app scheme (or the configured dev server) counts as the app', () => {
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
    expect(isAppUrl('app://workbench/assets/index.js')).toBe(true);
    expect(isAppUrl('app://elsewhere/index.html')).toBe(false);
    expect(isAppUrl('file:///etc/passwd')).toBe(false);
    expect(isAppUrl('https://example.com/')).toBe(false);
    expect(isAppUrl(undefined)).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
    expect(isAppUrl('http://localhost:5173/index.html')).toBe(false);
    expect(isAppUrl('http://localhost:5173/index.html', 'http://localhost:5173/')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
  });

  it('app:// requests map into the renderer folder and never outside it', () => {
    const dir = path.join(repoRoot, 'dist', 'renderer');
    const fileFor = (url: string) => {
      const urlPath = appRequestPath(url);
      return urlPath === null ? null : builtUiFile(dir, urlPath);
    };
    expect(fileFor('app://workbench/')).toBe(path.join(dir, 'index.html'));
    expect(fileFor('app://workbench/assets/a.js')).toBe(path.join(dir, 'assets', 'a.js'));
    expect(fileFor('app://workbench/..%2F..%2Fpackage.json')).toBeNull();
    expect(fileFor('app://workbench/%E0%A4%A')).toBeNull();
    expect(fileFor('app://other/index.html')).toBeNull();
    expect(fileFor('not a url')).toBeNull();
  });
});
