// Builds `.deploy/`, the folder azd zips and uploads for the `api` service (azure.yaml: `dist`,
// `remoteBuild: false`, and the `prepackage` hook runs `npm run package`, which builds first).
//
// What goes in is decided by `.funcignore` alone, read with gitignore rules (the `ignore` package
// answers like the gitignore matcher azd and Core Tools use: an ignored folder is skipped whole).
// The project's own node_modules (with every devDependency) never goes in: the production
// dependencies are installed fresh from the lock file with `npm ci --omit=dev`. Remote build is no
// option because the package carries compiled JavaScript, not sources.
//
// The project is an npm workspace: the local host and the Graph emulator are packages under
// packages/ (left out by `.funcignore`). The app alone is deployed, so the staged package.json
// drops `workspaces` and the staged lock file drops the workspace entries; `npm ci` then installs
// the app's production tree as pinned by the lock file, and prunes as extraneous what only the
// workspace packages need (Azurite, for one).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ignore from 'ignore';

const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAGING_DIR = '.deploy';

/** Copies the files `.funcignore` keeps from `from` into `to`, skipping ignored folders whole. */
function copyKept(rules, from, to, relative = '') {
  for (const entry of readdirSync(path.join(from, relative), { withFileTypes: true })) {
    const rel = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (rel === 'node_modules' || rel === STAGING_DIR || rel === '.git' || rules.ignores(`${rel}/`)) continue;
      copyKept(rules, from, to, rel);
    } else if (entry.isFile() && !rules.ignores(rel)) {
      mkdirSync(path.join(to, relative), { recursive: true });
      copyFileSync(path.join(from, rel), path.join(to, rel));
    }
  }
}

function stage() {
  const out = path.join(projectDir, STAGING_DIR);
  const funcignore = readFileSync(path.join(projectDir, '.funcignore'), 'utf8');
  if (!existsSync(path.join(projectDir, 'dist'))) throw new Error('No dist/: run `npm run build` first (`npm run package` does).');
  rmSync(out, { recursive: true, force: true });
  copyKept(ignore().add(funcignore), projectDir, out);
  // azd zips this folder with the same rules; they keep what is here and drop stray type files
  // and source maps that production dependencies ship.
  copyFileSync(path.join(projectDir, '.funcignore'), path.join(out, '.funcignore'));

  const manifest = JSON.parse(readFileSync(path.join(projectDir, 'package.json'), 'utf8'));
  delete manifest.workspaces;
  writeFileSync(path.join(out, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

  // The lock file pins the production tree; it is installed from, then left out of the package.
  const lock = JSON.parse(readFileSync(path.join(projectDir, 'package-lock.json'), 'utf8'));
  delete lock.packages[''].workspaces;
  for (const [location, entry] of Object.entries(lock.packages)) {
    // A workspace package: its own entry (`packages/<name>`) and its link in node_modules.
    if (location.startsWith('packages/') || entry.link) delete lock.packages[location];
  }
  writeFileSync(path.join(out, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: out, stdio: 'inherit', shell: process.platform === 'win32' });
  rmSync(path.join(out, 'package-lock.json'));
  console.log(`Deployment package staged in ${out}`);
}

stage();
