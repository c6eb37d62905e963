// The engine's promise: pure TypeScript, no Electron, DOM or SQLite, and Node-only APIs in one file
// (engine/host.ts, imported by the process entry alone). Every engine source is parsed, so only real
// imports and references count: words inside strings and comments (the worker threads' source text in
// engine/kernels/wasm/pool.ts) do not.
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { importedModule, lineOf, parseSource, sourceFiles } from '../source-imports.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const engineDir = path.join(root, 'engine');

const HOST = 'engine/host.ts';
/** Run by `npm run build:wasm`, never loaded by the engine: a plain .js outside the TypeScript build. */
const BUILD_SCRIPT = 'engine/kernels/wasm/build.js';
/** The files that may use Node. */
const NODE_ALLOWED = new Set([HOST, BUILD_SCRIPT]);
/** The only engine files that may import host.ts: the process entries (training, inspect). */
const HOST_IMPORTERS = new Set(['engine/worker.ts', 'engine/inspect-worker.ts']);

const NODE_MODULES = new Set(builtinModules.filter((m) => !m.startsWith('_')));
const FORBIDDEN_PACKAGES = new Set(['electron', 'better-sqlite3']);
/** Globals that exist only in Node, or only in a browser page. */
const NODE_GLOBALS = new Set(['process', 'Buffer', '__dirname', '__filename', 'global', 'setImmediate', 'clearImmediate', 'require']);
const DOM_GLOBALS = new Set(['document', 'window', 'localStorage', 'sessionStorage']);

function isNodeModule(specifier: string): boolean {
  if (specifier.startsWith('node:')) return true;
  return NODE_MODULES.has(specifier.split('/')[0]) || NODE_MODULES.has(specifier);
}

/** Names the file declares itself (a local `window` is not the browser's). */
function declaredNames(file: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const visit = (node: ts.Node): void => {
    if ((ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isBindingElement(node) || ts.isFunctionDeclaration(node)
      || ts.isClassDeclaration(node) || ts.isImportSpecifier(node) || ts.isNamespaceImport(node) || ts.isImportClause(node))
      && node.name && ts.isIdentifier(node.name)) names.add(node.name.text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return names;
}

/** An identifier that names a property or member (`c.window`, `{ window: 10 }`), not a variable. */
function isMemberName(id: ts.Identifier): boolean {
  const p = id.parent;
  return ((ts.isPropertyAccessExpression(p) || ts.isQualifiedName(p)) && (ts.isPropertyAccessExpression(p) ? p.name : p.right) === id)
    || ((ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p)
      || ts.isMethodSignature(p) || ts.isGetAccessorDeclaration(p) || ts.isSetAccessorDeclaration(p) || ts.isEnumMember(p)) && p.name === id);
}

/** What a file imports (static, dynamic, require, `import('x').T`) and which Node or DOM globals it uses, with line numbers. */
function engineDependencies(text: string, fileName: string): { modules: { specifier: string; line: number }[]; globals: { name: string; line: number }[] } {
  const file = parseSource(text, fileName);
  const line = (node: ts.Node) => lineOf(file, node);
  const modules: { specifier: string; line: number }[] = [];
  const globals: { name: string; line: number }[] = [];
  const own = declaredNames(file);
  const visit = (node: ts.Node): void => {
    const imported = importedModule(node);
    if (imported !== null) {
      modules.push({ specifier: imported.specifier, line: line(node) });
    } else if (ts.isIdentifier(node) && (NODE_GLOBALS.has(node.text) || DOM_GLOBALS.has(node.text)) && !own.has(node.text) && !isMemberName(node)) {
      globals.push({ name: node.text, line: line(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { modules, globals };
}

/** Every breach of the engine's promise, one readable line each. */
function violations(): string[] {
  const found: string[] = [];
  for (const full of sourceFiles(engineDir)) {
    const rel = path.relative(root, full).split(path.sep).join('/');
    const { modules, globals } = engineDependencies(readFileSync(full, 'utf8'), full);
    for (const { specifier, line } of modules) {
      if (specifier === '<computed>') found.push(`${rel}:${line} imports a computed module name (cannot be checked)`);
      else if (FORBIDDEN_PACKAGES.has(specifier)) found.push(`${rel}:${line} imports '${specifier}'`);
      else if (isNodeModule(specifier) && !NODE_ALLOWED.has(rel)) found.push(`${rel}:${line} imports Node's '${specifier}' (only engine/host.ts may)`);
      else if (specifier.startsWith('.')) {
        const target = path.relative(root, path.resolve(path.dirname(full), specifier)).split(path.sep).join('/');
        if (target === HOST && !HOST_IMPORTERS.has(rel)) found.push(`${rel}:${line} imports ${HOST} (only ${[...HOST_IMPORTERS].join(' and ')} may; the rest of the engine takes what it needs as arguments)`);
        if (target === BUILD_SCRIPT) found.push(`${rel}:${line} imports ${BUILD_SCRIPT}, a build script, not engine runtime`);
      }
    }
    for (const { name, line } of globals) {
      if (DOM_GLOBALS.has(name)) found.push(`${rel}:${line} uses the browser's '${name}'`);
      else if (!NODE_ALLOWED.has(rel)) found.push(`${rel}:${line} uses Node's '${name}' (only engine/host.ts may)`);
    }
  }
  return found;
}

describe('the engine', () => {
  it('uses Node only in engine/host.ts, and never Electron, SQLite or the DOM', () => {
    expect(violations()).toEqual([]);
  });

  it('keeps its exceptions real: the host file and the build script (plain .js, outside the TypeScript build) exist', () => {
    expect(path.extname(BUILD_SCRIPT)).toBe('.js');
    for (const rel of NODE_ALLOWED) expect(existsSync(path.join(root, rel)), rel).toBe(true);
  });
});

describe('the purity check itself', () => {
  const deps = (text: string) => engineDependencies(text, 'x.ts');

  it('sees every form of import and require', () => {
    const { modules } = deps([
      "import { readFile } from 'node:fs/promises';",
      "import type { Worker } from 'worker_threads';",
      "export * from 'electron';",
      "const v8 = await import('node:v8');",
      "const os = require('os');",
      "let w: import('node:worker_threads').Worker;",
    ].join('\n'));
    expect(modules.map((m) => m.specifier)).toEqual(['node:fs/promises', 'worker_threads', 'electron', 'node:v8', 'os', 'node:worker_threads']);
    expect(['node:fs/promises', 'worker_threads', 'node:v8', 'os', 'fs/promises', 'path', 'child_process'].every(isNodeModule)).toBe(true);
    expect(['./host.ts', 'typescript', 'better-sqlite3'].some(isNodeModule)).toBe(false);
  });

  it('sees Node and DOM globals but not property names, local variables or string contents', () => {
    const { globals } = deps([
      'if (process.versions.node) document.title = String(Buffer.byteLength("x"));',
      'const c = { window: 10 }; const n = c.window;',
      "const src = `const { parentPort } = require('node:worker_threads'); process.exit(0)`;",
      '// window.alert(process.pid)',
      'function f(window: number) { return window; }',
    ].join('\n'));
    expect(globals.map((g) => g.name)).toEqual(['process', 'document', 'Buffer']);
    expect(deps("const src = `require('node:fs')`;").modules).toEqual([]);
  });
});
