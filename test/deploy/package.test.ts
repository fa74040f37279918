import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ignore, { type Ignore } from 'ignore';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

/**
 * Builds the deployment package the way `azd deploy` builds it for the `api` service, from a clean
 * copy of the project, and holds it to DESIGN.md §8: the compiled app, `host.json`, `package.json`
 * and production dependencies only, and an app that the host can load and serve.
 *
 * azd (pkg/project/framework_service_node.go and service_target_functionapp.go) does, for a
 * `language: ts`, `host: function` service: `npm install`; `npm run build`; the `prepackage` hook;
 * `npm run build` again; then zips the `dist` folder, skipping what that folder's `.funcignore`
 * ignores (gitignore rules: an ignored folder is skipped whole), the ignore file itself, `.azure/`
 * and `local.settings.json`, following symbolic links. With `remoteBuild: false` it checks that
 * the project's `.funcignore` keeps node_modules.
 */

const repoRoot = path.resolve(__dirname, '../..');
const workDir = mkdtempSync(path.join(os.tmpdir(), 'deploy-package-'));
const projectDir = path.join(workDir, 'project');
const packageDir = path.join(workDir, 'package');

/** Runs a command; resolves with its output, rejects with it when the exit code is not 0. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`))));
  });
}

/** What the project would commit: tracked files and new ones that .gitignore does not exclude. */
async function copyCleanProject(): Promise<void> {
  const listed = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], repoRoot);
  for (const file of listed.split('\0').filter(Boolean)) {
    if (!existsSync(path.join(repoRoot, file))) continue; // deleted, not yet committed
    mkdirSync(path.dirname(path.join(projectDir, file)), { recursive: true });
    cpSync(path.join(repoRoot, file), path.join(projectDir, file));
  }
}

/** The service settings azd reads from azure.yaml (one service; the keys this test relies on). */
function azdService(): { dist: string; remoteBuild: string; prepackage: string } {
  const yaml = readFileSync(path.join(projectDir, 'azure.yaml'), 'utf8');
  const field = (pattern: RegExp, name: string) => {
    const match = pattern.exec(yaml);
    if (!match) throw new Error(`azure.yaml: no ${name} for the api service`);
    return match[1].trim();
  };
  return {
    dist: field(/^ {4}dist: (.+)$/m, 'dist'),
    remoteBuild: field(/^ {4}remoteBuild: (.+)$/m, 'remoteBuild'),
    prepackage: field(/^ {6}prepackage:\n(?: {8}.*\n)*? {8}posix:\n(?: {10}.*\n)*? {10}run: (.+)$/m, 'posix prepackage hook'),
  };
}

/** azd's zip step: copies what `rules` keep from `from` into `to` (the unzipped package). */
function zipLikeAzd(rules: Ignore, from: string, to: string, relative = ''): void {
  for (const name of readdirSync(path.join(from, relative))) {
    const rel = relative ? `${relative}/${name}` : name;
    const isDir = statSync(path.join(from, rel)).isDirectory(); // follows symbolic links, like azd
    if (isDir ? name === '.azure' || rules.ignores(`${rel}/`) : name === '.funcignore' || name === 'local.settings.json' || rules.ignores(rel)) continue;
    if (isDir) zipLikeAzd(rules, from, to, rel);
    else {
      mkdirSync(path.join(to, relative), { recursive: true });
      cpSync(path.join(from, rel), path.join(to, rel));
    }
  }
}

/** Every file under `dir`, relative, with forward slashes. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

/** Installed package folders (`node_modules/a`, `node_modules/@s/b`, nested ones too), as in a lock file. */
function installedPackages(root: string): string[] {
  return filesUnder(root)
    .filter((file) => /(^|\/)node_modules\/(@[^/]+\/)?[^/@][^/]*\/package\.json$/.test(file))
    .map((file) => file.slice(0, -'/package.json'.length))
    .filter((folder) => /(^|\/)node_modules\/(@[^/]+\/)?[^/]+$/.test(folder));
}

interface LockEntry {
  dev?: boolean;
  link?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/**
 * The app's production tree in the lock file: every package reached from the app's
 * `dependencies`, each dependency found as Node finds it (the nearest `node_modules` up the tree).
 * Before the project became an npm workspace this was exactly the entries not flagged `dev`; npm
 * counts workspace packages as production, so what only they need (Azurite) is unflagged now and
 * the flags alone no longer say what the app needs.
 */
function productionTree(packages: Record<string, LockEntry>): string[] {
  const found = new Set<string>();
  const parentOf = (location: string) => {
    const at = location.lastIndexOf('/node_modules/');
    return at < 0 ? '' : location.slice(0, at);
  };
  const visit = (from: string, name: string, required: boolean) => {
    for (let dir = from; ; dir = parentOf(dir)) {
      const location = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (packages[location]) {
        if (!found.has(location)) {
          found.add(location);
          follow(location);
        }
        return;
      }
      if (!dir) {
        if (required) throw new Error(`${name}, needed by ${from || 'the app'}, is not in the lock file`);
        return;
      }
    }
  };
  const follow = (location: string) => {
    const entry = packages[location];
    for (const name of Object.keys(entry.dependencies ?? {})) visit(location, name, true);
    for (const name of Object.keys(entry.optionalDependencies ?? {})) visit(location, name, false);
    for (const name of Object.keys(entry.peerDependencies ?? {})) visit(location, name, !entry.peerDependenciesMeta?.[name]?.optional);
  };
  follow('');
  return [...found];
}

/** The app's settings for a local run, from the committed sample. */
function sampleSettings(): Record<string, string> {
  const values = (JSON.parse(readFileSync(path.join(projectDir, 'local.settings.sample.json'), 'utf8')) as { Values: Record<string, string> }).Values;
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, String(value)]));
}

/** Starts the local host on `appDir`; returns the functions it lists and the form page's answer. */
async function hostFunctionsAndForm(appDir: string): Promise<{ functions: string[]; formStatus: number; form: string }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'packages/functions-local-host/dist/cli.js'), '--app', appDir, '--port', '0', '--in-memory'], {
    cwd: workDir,
    env: { ...process.env, ...sampleSettings() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const ready = /Host ready at (http:\/\/\S+)/.exec(output);
        if (ready) resolve(ready[1]);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`the host on ${appDir} exited with ${code}:\n${output}`)));
    });
    const res = await fetch(`${url}/api/requests/new`);
    const functions = [...output.slice(output.indexOf('Functions:')).matchAll(/^ {2}(\w+): /gm)].map((m) => m[1]).sort();
    return { functions, formStatus: res.status, form: await res.text() };
  } finally {
    child.kill('SIGTERM');
  }
}

let service: ReturnType<typeof azdService>;

beforeAll(async () => {
  await copyCleanProject();
  await run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], projectDir); // azd restore
  await run('npm', ['run', 'build'], projectDir); // azd build
  service = azdService();
  await run('sh', ['-c', service.prepackage], projectDir); // azd package: the prepackage hook,
  await run('npm', ['run', 'build'], projectDir); // then the build script again,
  const stagingDir = path.join(projectDir, service.dist); // then the zip of the dist folder.
  const rules = ignore().add(existsSync(path.join(stagingDir, '.funcignore')) ? readFileSync(path.join(stagingDir, '.funcignore'), 'utf8') : '');
  zipLikeAzd(rules, stagingDir, packageDir);
}, 600_000);

// A staged node_modules is large: removing it can outlast the default hook timeout on a busy machine.
afterAll(() => rmSync(workDir, { recursive: true, force: true }), 120_000);

describe('the deployment package, built as azd builds it', () => {
  test('azure.yaml names a staging folder and no remote build, and .funcignore agrees (azd refuses the mix otherwise)', () => {
    expect(service.remoteBuild).toBe('false');
    expect(service.dist).not.toBe('.');
    const projectRules = ignore().add(readFileSync(path.join(projectDir, '.funcignore'), 'utf8'));
    expect(projectRules.ignores('node_modules/')).toBe(false);
  });

  test('holds host.json, package.json, the compiled app with every function file, and nothing else at the top', () => {
    expect(readdirSync(packageDir).sort()).toEqual(['dist', 'host.json', 'node_modules', 'package.json']);
    expect(readdirSync(path.join(packageDir, 'dist'))).toEqual(['src']);
    const functionSources = readdirSync(path.join(projectDir, 'src/functions')).filter((f) => f.endsWith('.ts'));
    expect(functionSources.length).toBeGreaterThan(3);
    for (const source of functionSources) expect(existsSync(path.join(packageDir, 'dist/src/functions', source.replace(/\.ts$/, '.js'))), source).toBe(true);
    const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { main: string; workspaces?: unknown };
    expect(manifest.main).toBe('dist/src/functions/*.js');
    expect(manifest.workspaces).toBeUndefined();
  });

  test('holds no sources, tests, infra, local host, local settings or Azurite data', () => {
    const files = filesUnder(packageDir);
    expect(files.filter((f) => f.startsWith('packages/') || f.endsWith('.tsbuildinfo'))).toEqual([]);
    const appFiles = files.filter((f) => !f.startsWith('node_modules/'));
    expect(appFiles.filter((f) => !/^dist\/src\/.+\.js$/.test(f) && f !== 'host.json' && f !== 'package.json')).toEqual([]);
    expect(appFiles.filter((f) => f.startsWith('dist/src/devhost/'))).toEqual([]);
    expect(files.filter((f) => /(^|\/)(local\.settings[^/]*\.json|__azurite_db[^/]*__\.json|__(blob|queue|table)storage__\/.*|\.devhost\/.*)$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
  });

  test('node_modules is exactly the production tree of the lock file: no devDependency, no workspace package', () => {
    const lock = JSON.parse(readFileSync(path.join(projectDir, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    const production = productionTree(lock.packages);
    expect(production.filter((p) => lock.packages[p].dev || lock.packages[p].link)).toEqual([]);
    const installed = installedPackages(packageDir);
    const devDependencies = Object.keys((JSON.parse(readFileSync(path.join(projectDir, 'package.json'), 'utf8')) as { devDependencies: object }).devDependencies);
    expect(installed.filter((p) => devDependencies.some((dev) => p === `node_modules/${dev}`))).toEqual([]);
    // The workspace packages (local host, Graph emulator) and what only they need stay out.
    const workspaceOnly = Object.entries(lock.packages)
      .filter(([key, entry]) => key.startsWith('node_modules/') && !entry.dev && !production.includes(key))
      .map(([key]) => key);
    expect(workspaceOnly).toContain('node_modules/azurite');
    expect(workspaceOnly).toContain('node_modules/@guest-email-change/functions-local-host');
    expect(installed.filter((p) => workspaceOnly.includes(p) || p.startsWith('node_modules/@guest-email-change/'))).toEqual([]);
    expect(installed.sort()).toEqual(production.sort());
    const bytes = filesUnder(packageDir).reduce((sum, f) => sum + statSync(path.join(packageDir, f)).size, 0);
    console.log(`deployment package: ${filesUnder(packageDir).length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
  });

  test('every production dependency loads from the package itself', async () => {
    const dependencies = Object.keys((JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { dependencies: object }).dependencies);
    expect(dependencies.length).toBeGreaterThan(3);
    const own = pathToFileURL(path.join(packageDir, 'node_modules')).href + '/';
    const script = `for (const name of ${JSON.stringify(dependencies)}) {
      const where = import.meta.resolve(name);
      if (!where.startsWith(${JSON.stringify(own)})) throw new Error(name + ' resolved outside the package: ' + where);
      await import(name);
      console.log('loaded ' + name);
    }`;
    const output = await run(process.execPath, ['--input-type=module', '-e', script], packageDir);
    expect(output.trim().split('\n')).toEqual(dependencies.map((name) => `loaded ${name}`));
  });

  test('the local host started on the package finds every function of the built project and serves the form', async () => {
    const fromProject = await hostFunctionsAndForm(projectDir);
    const fromPackage = await hostFunctionsAndForm(packageDir);
    expect(fromProject.functions.length).toBeGreaterThan(5);
    expect(fromPackage.functions).toEqual(fromProject.functions);
    expect(fromPackage.formStatus).toBe(200);
    expect(fromPackage.form).toContain('<form');
  }, 120_000);

  test('the check fails for the old .funcignore, whose unanchored folders dropped dist/src and parts of node_modules', () => {
    const oldRules = ignore().add(['src/', 'test/', 'infra/', 'dist/test/', '*.ts', '!dist/**/*.js'].join('\n'));
    const oldPackage = path.join(workDir, 'old-package');
    zipLikeAzd(oldRules, path.join(projectDir, service.dist), oldPackage);
    expect(existsSync(path.join(oldPackage, 'dist/src/functions'))).toBe(false);
    expect(existsSync(path.join(oldPackage, 'node_modules/durable-functions/lib/src'))).toBe(false);
    expect(existsSync(path.join(packageDir, 'node_modules/durable-functions/lib/src'))).toBe(true);
  });
});
