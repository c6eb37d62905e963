/**
 * electron-builder configuration for the desktop app (`npm run dist` → bin/dist.js). The app is the
 * bundled dist/ (main, preload, engine worker, renderer) plus the engine's WebAssembly kernels;
 * native and .wasm files are unpacked from the asar so they can be loaded, and better-sqlite3 is
 * rebuilt for Electron's ABI inside the packaged app (never in the checkout's node_modules).
 */
import type { Configuration } from 'electron-builder';

export const TARGETS = {
  linux: ['AppImage', 'deb'],
  mac: ['dmg'],
  win: ['nsis'],
} as const;

const config: Configuration = {
  appId: 'app.recurrent-workbench.desktop',
  productName: 'Recurrent Workbench',
  copyright: 'Copyright © Recurrent Workbench contributors',
  directories: { output: 'release', buildResources: 'build/resources' },
  files: [
    'dist/**/*',
    'engine/kernels/**/*.wasm',
    'package.json',
    '!**/*.map',
    // The checkout's Electron binding is for `npm start`; the package rebuilds its own.
    '!build/**',
  ],
  extraMetadata: { main: 'dist/electron/main.js' },
  asar: true,
  asarUnpack: ['**/*.node', '**/*.wasm'],
  npmRebuild: true,
  buildDependenciesFromSource: true,
  nodeGypRebuild: false,
  linux: {
    target: [...TARGETS.linux],
    category: 'Science',
    executableName: 'recurrent-workbench',
    maintainer: 'Recurrent Workbench <maintainers@recurrent-workbench.invalid>',
    synopsis: 'Train and study character-level recurrent networks',
  },
  deb: { priority: 'optional' },
  mac: {
    target: [...TARGETS.mac],
    category: 'public.app-category.developer-tools',
    hardenedRuntime: true,
  },
  dmg: { writeUpdateInfo: false },
  win: { target: [...TARGETS.win] },
  nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true },
  publish: null,
};

export default config;
