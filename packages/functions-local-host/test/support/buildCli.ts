import { execFileSync } from 'node:child_process';
import path from 'node:path';

export const packageDir = path.resolve(__dirname, '../..');

/** The package's CLI, which tests run as a real process. */
export const cliPath = path.join(packageDir, 'dist/cli.js');

/** Compiles the package so `cliPath` exists; tsc emits even while other parts of the tree have type errors. */
export function buildCli(): void {
  try {
    execFileSync(process.execPath, [path.join(packageDir, '../../node_modules/typescript/bin/tsc'), '-b', packageDir], { cwd: packageDir, stdio: 'pipe' });
  } catch {
    // Type errors elsewhere do not stop the emit; a missing CLI fails the test that runs it.
  }
}
