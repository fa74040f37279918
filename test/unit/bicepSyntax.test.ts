import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import type { Node, Parser } from 'web-tree-sitter';

/**
 * No Bicep CLI can be installed on our machines, but a parser can: every `.bicep` file under
 * infra/ is parsed with the tree-sitter Bicep grammar, and any syntax error fails the suite with
 * its file, line and column. Types, API versions and module parameters stay unchecked (that needs
 * `bicep build`); infraBicep.test.ts holds the files to the design as text.
 */

const repoRoot = path.resolve(__dirname, '../..');
const infraDir = path.join(repoRoot, 'infra');

/** Walks the folder, so a module added under infra/ is checked without being listed here. */
function findBicepFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return findBicepFiles(full);
    return entry.isFile() && entry.name.endsWith('.bicep') ? [full] : [];
  });
}

/**
 * `file:line:column` (1-based) and a short excerpt for every ERROR and MISSING node. An ERROR
 * node's own subtree is not searched further: the outermost one says where the trouble starts.
 */
function syntaxErrors(parser: Parser, file: string, text: string): string[] {
  const tree = parser.parse(text);
  if (!tree) throw new Error(`tree-sitter returned no tree for ${file}`);
  const errors: string[] = [];
  const visit = (node: Node) => {
    if (node.isError || node.isMissing) {
      const { row, column } = node.startPosition;
      const what = node.isMissing ? `MISSING ${node.type}` : `ERROR at ${JSON.stringify(node.text.split('\n')[0].slice(0, 40))}`;
      errors.push(`${file}:${row + 1}:${column + 1} ${what}`);
      return;
    }
    for (const child of node.children) if (child.hasError || child.isMissing) visit(child);
  };
  visit(tree.rootNode);
  tree.delete();
  return errors;
}

const bicepFiles = findBicepFiles(infraDir).map((f) => path.relative(repoRoot, f).split(path.sep).join('/'));
let parser: Parser;

beforeAll(async () => {
  const { Parser: TreeSitterParser, Language } = await import('web-tree-sitter');
  await TreeSitterParser.init();
  const grammar = createRequire(import.meta.url).resolve('tree-sitter-bicep/tree-sitter-bicep.wasm');
  parser = new TreeSitterParser();
  parser.setLanguage(await Language.load(grammar));
});

describe('every .bicep file under infra/', () => {
  test('is found by walking the folder, modules under infra/app included', () => {
    expect(bicepFiles).toEqual(expect.arrayContaining(['infra/main.bicep', 'infra/app/api.bicep', 'infra/app/rbac.bicep']));
  });

  test.each(bicepFiles)('%s parses without syntax errors', (file) => {
    expect(syntaxErrors(parser, file, readFileSync(path.join(repoRoot, file), 'utf8'))).toEqual([]);
  });
});

describe('the syntax check can fail', () => {
  test('names the file, line and column of a missing token', () => {
    const snippet = ['param location string', "var greeting = concat('hello ', location", "output greeting string = greeting"].join('\n');
    expect(syntaxErrors(parser, 'broken.bicep', snippet)).toEqual(['broken.bicep:2:41 MISSING )']);
  });

  test('names where an unparsable declaration starts', () => {
    const snippet = ['param location string', '', 'var tags = {', '  region: location', '', "output name string = 'x'"].join('\n');
    expect(syntaxErrors(parser, 'broken.bicep', snippet)).toEqual(['broken.bicep:3:1 ERROR at "var tags = {"']);
  });

  test('catches a brace deleted from a real file', () => {
    const main = readFileSync(path.join(infraDir, 'main.bicep'), 'utf8');
    const broken = main.replace(/\n {2}\}\n\}\n/, '\n\n}\n');
    expect(broken).not.toBe(main);
    expect(syntaxErrors(parser, 'infra/main.bicep', main)).toEqual([]);
    expect(syntaxErrors(parser, 'infra/main.bicep', broken)).not.toEqual([]);
  });
});
