import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/**
 * Test apps pinned to other library versions than the workspace's keep their own package.json and
 * lock file; their node_modules are not committed. Installs them from the lock file (npm's cache
 * makes repeats cheap) when the folder has none yet.
 */
export function installAppDependencies(appDir: string): void {
  if (fs.existsSync(path.join(appDir, 'node_modules', '.package-lock.json'))) return;
  execFileSync(npm, ['ci', '--prefix', appDir, '--no-audit', '--no-fund', '--ignore-scripts'], { stdio: 'pipe', timeout: 120_000 });
}

/** Builds a test app the way its own package.json says (`npm run build`), as its user would before starting it. */
export function buildApp(appDir: string): void {
  execFileSync(npm, ['run', 'build', '--prefix', appDir], { stdio: 'pipe', timeout: 120_000 });
}
