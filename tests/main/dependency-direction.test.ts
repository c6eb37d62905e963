// Dependencies point one way: bin → main → engine, and the renderer → the API's types (plus the browser-safe
// WebSocket client). Inside main, storage sits at the bottom and the transports and the CLI at the top.
// Every source file under engine/, main/, bin/ and renderer/src is parsed (tests/source-imports.ts), so
// only real imports count; an import that runs backwards fails here with its file and line.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importsOf, sourceFiles } from '../source-imports.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** What the page may load from main/ (directly): the contract and the browser host's client. */
const RENDERER_DIRECT = ['main/api/contract.ts', 'main/transport/ws-client.ts'];
/** …and all that those reach in turn: browser-safe modules only (no Node, no zod, no SQLite). */
const RENDERER_REACHABLE = [...RENDERER_DIRECT, 'main/api/wire.ts', 'main/errors.ts'];
/**
 * Storage hands out rows in the contract's shapes (CorpusSummary, RunSummary…), so the service passes them
 * through: storage may name those types, never load code from main/api.
 */
const STORAGE_MAY_TYPE = 'main/api/contract.ts';

interface Rule {
  /** Files this rule is about: the path prefix. */
  from: string;
  /** Prefixes they must not import. */
  not: string[];
  why: string;
}

const RULES: Rule[] = [
  { from: 'engine/', not: ['main/', 'bin/', 'renderer/'], why: 'the engine depends on nothing of the app' },
  { from: 'main/', not: ['bin/', 'renderer/'], why: 'main sits below bin/ and beside the renderer' },
  {
    from: 'main/storage/', not: ['main/api/', 'main/cli/', 'main/electron/', 'main/transport/', 'main/runs/', 'main/inference/'],
    why: 'storage is the bottom layer of main',
  },
  { from: 'main/api/', not: ['main/cli/', 'main/electron/', 'main/transport/'], why: 'the transports use the API, not the other way' },
  { from: 'main/transport/', not: ['main/cli/', 'main/electron/'], why: 'the browser host is one transport, the others are its siblings' },
  { from: 'main/electron/', not: ['main/cli/'], why: 'the app and the CLI share modules below them, not each other' },
  {
    from: 'main/electron/', not: ['main/api/service', 'main/api/query-', 'main/runs/', 'main/inference/', 'main/backend/entry', 'main/backend/serve-port'],
    why: 'the main process keeps the window, menus and dialogs; the service runs in the backend process (main/backend)',
  },
  { from: 'main/api/', not: ['main/backend/'], why: 'the backend process serves the API, not the other way' },
  { from: 'renderer/', not: ['bin/'], why: 'the page loads no build scripts' },
];

interface SourceFile {
  /** Path from the repository root, with forward slashes. */
  rel: string;
  text: string;
}

/** The repository path a relative import names, or null for a package or Node module. */
function target(fromRel: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  return path.posix.normalize(path.posix.join(path.posix.dirname(fromRel), specifier));
}

/** Every import that runs backwards, one readable line each. */
function backwardImports(files: SourceFile[]): string[] {
  const found: string[] = [];
  for (const { rel, text } of files) {
    for (const { specifier, line, typeOnly } of importsOf(text, rel)) {
      if (specifier === '<computed>') {
        found.push(`${rel}:${line} imports a computed module name (cannot be checked)`);
        continue;
      }
      const to = target(rel, specifier);
      if (to === null) continue;
      for (const rule of RULES) {
        if (!rel.startsWith(rule.from)) continue;
        const banned = rule.not.find((prefix) => to.startsWith(prefix));
        if (!banned) continue;
        if (rule.from === 'main/storage/' && typeOnly && to === STORAGE_MAY_TYPE) continue;
        found.push(`${rel}:${line} imports ${to} (${rule.why})`);
      }
      if (rel.startsWith('renderer/') && to.startsWith('main/') && !RENDERER_DIRECT.includes(to)) {
        found.push(`${rel}:${line} imports ${to} (the page may import from main/ only ${RENDERER_DIRECT.join(', ')})`);
      }
    }
  }
  return found;
}

/** The main/ modules the renderer's bundle contains: what its main/ imports reach, following main's own imports (types included). */
function reachedFromRenderer(files: SourceFile[]): string[] {
  const byPath = new Map(files.map((file) => [file.rel, file]));
  const reached = new Set<string>();
  const queue = files.filter((file) => file.rel.startsWith('renderer/')).flatMap(({ rel, text }) =>
    importsOf(text, rel).map(({ specifier }) => target(rel, specifier)).filter((to): to is string => to?.startsWith('main/') ?? false));
  while (queue.length > 0) {
    const next = queue.pop()!;
    if (reached.has(next)) continue;
    reached.add(next);
    const file = byPath.get(next);
    if (!file) continue;
    for (const { specifier } of importsOf(file.text, file.rel)) {
      const to = target(file.rel, specifier);
      if (to?.startsWith('main/')) queue.push(to);
    }
  }
  return [...reached].sort();
}

function repositorySources(): SourceFile[] {
  return ['engine', 'main', 'bin', path.join('renderer', 'src')].flatMap((dir) =>
    sourceFiles(path.join(root, dir), { svelte: true }).map((full) => ({
      rel: path.relative(root, full).split(path.sep).join('/'),
      text: readFileSync(full, 'utf8'),
    })));
}

describe('dependencies', () => {
  const files = repositorySources();

  it('point one way: bin → main → engine, storage at the bottom of main, the page → the API types', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(backwardImports(files)).toEqual([]);
  });

  it('give the page only browser-safe modules of main/', () => {
    const reached = reachedFromRenderer(files);
    expect(reached.filter((rel) => !RENDERER_REACHABLE.includes(rel))).toEqual([]);
    // The list stays real: each module named is one the page does load.
    expect(reached).toEqual([...RENDERER_REACHABLE].sort());
  });
});

describe('the dependency check itself', () => {
  const check = (rel: string, text: string) => backwardImports([{ rel, text }]);

  it('finds each kind of backward import, with its file and line', () => {
    expect(check('main/cli/commands/serve.ts', "import { x } from '../../../bin/bundle.js';")).toEqual([
      'main/cli/commands/serve.ts:1 imports bin/bundle.js (main sits below bin/ and beside the renderer)',
    ]);
    expect(check('main/electron/main.ts', "\nimport { PRODUCT_NAME } from '../cli/default-db.ts';")).toEqual([
      'main/electron/main.ts:2 imports main/cli/default-db.ts (the app and the CLI share modules below them, not each other)',
    ]);
    expect(check('main/storage/errors.ts', "import { ApiError } from '../api/contract.ts';")).toEqual([
      'main/storage/errors.ts:1 imports main/api/contract.ts (storage is the bottom layer of main)',
    ]);
    expect(check('engine/model.ts', "const m = await import('../main/api/service.ts');")).toHaveLength(1);
    expect(check('engine/model.ts', "let t: import('../renderer/src/lib/api.ts').Api;")).toHaveLength(1);
    expect(check('renderer/src/lib/x.ts', "import { validateCall } from '../../../main/api/schemas.ts';")).toHaveLength(1);
    expect(check('renderer/src/App.svelte', "<p>hi</p>\n<script lang=\"ts\">\n  import { openWorkbench } from '../../main/cli/workbench.ts';\n</script>")).toEqual([
      'renderer/src/App.svelte:3 imports main/cli/workbench.ts (the page may import from main/ only main/api/contract.ts, main/transport/ws-client.ts)',
    ]);
  });

  it('lets storage name the contract\'s types, and nothing more of main/api', () => {
    expect(check('main/storage/types.ts', "import type { RunStatus } from '../api/contract.ts';")).toEqual([]);
    expect(check('main/storage/types.ts', "export type { RunStatus } from '../api/contract.ts';")).toEqual([]);
    expect(check('main/storage/types.ts', "import { type RunStatus } from '../api/contract.ts';")).toEqual([]);
    expect(check('main/storage/types.ts', "import { ApiError, type RunStatus } from '../api/contract.ts';")).toHaveLength(1);
    expect(check('main/storage/types.ts', "import type { Wire } from '../api/wire.ts';")).toHaveLength(1);
  });

  it('allows what points the right way, and ignores strings and comments', () => {
    expect(check('bin/start.js', "const { x } = await import('../main/build/renderer.ts');")).toEqual([]);
    expect(check('main/api/service.ts', "import { Storage } from '../storage/index.ts';\nimport { x } from '../../engine/config.ts';")).toEqual([]);
    expect(check('main/cli/x.ts', "// import from '../../bin/bundle.js'\nconst s = \"import('../../bin/x.js')\";")).toEqual([]);
  });
});
