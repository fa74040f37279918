import fs from 'node:fs';
import path from 'node:path';

/**
 * Expands `package.json` `main` the way the worker does with globby: a pattern relative to the
 * app directory supporting `*`, `?`, `**` and `{a,b}`. Node 20 has no stable `fs.globSync`.
 */
export function expandMainGlob(appDir: string, pattern: string): string[] {
  const normalized = pattern.replace(/\\/g, '/').replace(/^\.\//, '');
  const segments = normalized.split('/');
  const firstGlob = segments.findIndex(hasGlobMagic);
  if (firstGlob === -1) {
    const file = path.resolve(appDir, normalized);
    return fs.existsSync(file) && fs.statSync(file).isFile() ? [file] : [];
  }
  const baseDir = path.resolve(appDir, segments.slice(0, firstGlob).join('/'));
  const matcher = globToRegExp(normalized);
  const searchesNodeModules = normalized.includes('node_modules');
  return walk(baseDir, searchesNodeModules)
    .filter((file) => matcher.test(path.relative(appDir, file).split(path.sep).join('/')))
    .sort();
}

function walk(dir: string, includeNodeModules: boolean): string[] {
  if (!fs.existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' && !includeNodeModules) continue;
      files.push(...walk(full, includeNodeModules));
    } else if (entry.isFile()) {
      files.push(full);
    }
  }
  return files;
}

/** Whether a pattern (or one of its segments) has glob syntax, like globby's `hasMagic`. */
export function hasGlobMagic(pattern: string): boolean {
  return /[*?{[]/.test(pattern);
}

/** Translates a glob into an anchored regular expression over `/`-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  let braceDepth = 0;
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*') {
      if (glob[i + 1] === '*') {
        const followedBySlash = glob[i + 2] === '/';
        source += followedBySlash ? '(?:[^/]*/)*' : '.*';
        i += followedBySlash ? 2 : 1;
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '{') {
      braceDepth++;
      source += '(?:';
    } else if (char === '}' && braceDepth > 0) {
      braceDepth--;
      source += ')';
    } else if (char === ',' && braceDepth > 0) {
      source += '|';
    } else {
      source += char.replace(/[.+^$()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}
