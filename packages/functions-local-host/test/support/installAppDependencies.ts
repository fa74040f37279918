import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Test apps pinned to other library versions than the workspace's keep their own package.json and
 * lock file; their node_modules are not committed. Installs them from the lock file (npm's cache
 * makes repeats cheap) when the folder has none yet.
 */
export function installAppDependencies(appDir: string): void {
  if (fs.existsSync(path.join(appDir, 'node_modules', '.package-lock.json'))) return;
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['ci', '--prefix', appDir, '--no-audit', '--no-fund', '--ignore-scripts'], { stdio: 'pipe', timeout: 120_000 });
}
