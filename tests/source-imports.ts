// What a source file imports, found by parsing it (TypeScript's own parser), so only real imports count:
// words inside strings and comments do not. Shared by the engine's purity test and the dependency-direction test.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface ImportSite {
  /** The module named, or '<computed>' when it is not a string literal (it cannot be checked). */
  specifier: string;
  line: number;
  /** `import type`, `export type … from`, `import('x').T`: gone once compiled, a dependency of the types only. */
  typeOnly: boolean;
}

/** A TypeScript or JavaScript file parsed, for walking its syntax tree. */
export function parseSource(text: string, fileName: string): ts.SourceFile {
  return ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, /\.[cm]?js$/.test(fileName) ? ts.ScriptKind.JS : ts.ScriptKind.TS);
}

/** The line (1-based) where a node starts. */
export function lineOf(file: ts.SourceFile, node: ts.Node): number {
  return file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
}

/** The module a node imports (static, re-export, dynamic, require, `import x = require()`, `import('x').T`), if it is an import. */
export function importedModule(node: ts.Node): { specifier: string; typeOnly: boolean } | null {
  if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
    return { specifier: node.moduleSpecifier.text, typeOnly: isTypeOnlyImport(node) };
  }
  if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
    return { specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly };
  }
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
    return { specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly };
  }
  if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) {
    const arg = node.arguments[0];
    return { specifier: arg && ts.isStringLiteralLike(arg) ? arg.text : '<computed>', typeOnly: false };
  }
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
    return { specifier: node.argument.literal.text, typeOnly: true };
  }
  return null;
}

/** `import type { A }` or `import { type A, type B }`: nothing of the module is loaded. (`import 'x'` and `import {} from 'x'` load it.) */
function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return clause.name === undefined && bindings !== undefined && ts.isNamedImports(bindings)
    && bindings.elements.length > 0 && bindings.elements.every((element) => element.isTypeOnly);
}

/** Every import in a source file. A .svelte file's imports are those of its <script> blocks. */
export function importsOf(text: string, fileName: string): ImportSite[] {
  if (fileName.endsWith('.svelte')) return svelteScripts(text).flatMap(({ code, lineOffset }) =>
    importsOf(code, `${fileName}.ts`).map((site) => ({ ...site, line: site.line + lineOffset })));
  const file = parseSource(text, fileName);
  const found: ImportSite[] = [];
  const visit = (node: ts.Node): void => {
    const imported = importedModule(node);
    if (imported !== null) found.push({ ...imported, line: lineOf(file, node) });
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function svelteScripts(text: string): { code: string; lineOffset: number }[] {
  return [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((match) => ({
    code: match[1],
    lineOffset: text.slice(0, match.index! + match[0].indexOf('>') + 1).split('\n').length - 1,
  }));
}

/** The source files under a folder (TypeScript, JavaScript and, when asked, Svelte), node_modules left out. */
export function sourceFiles(dir: string, options: { svelte?: boolean } = {}): string[] {
  const pattern = options.svelte ? /\.(ts|js|mjs|cjs|svelte)$/ : /\.(ts|js|mjs|cjs)$/;
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(full, options);
    return pattern.test(entry.name) ? [full] : [];
  });
}
