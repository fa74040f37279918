import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/**
 * Which Chromium the browser tests drive: `CHROMIUM_PATH` when set, else the system's (Debian's
 * `chromium`), else the one the `@sparticuz/chromium` devDependency ships, so that `npm install`
 * alone brings a browser (it unpacks its binary into the temp folder on first use).
 */
export async function chromiumExecutable(): Promise<string> {
  const given = process.env.CHROMIUM_PATH;
  if (given) {
    if (!fs.existsSync(given)) throw new Error(`CHROMIUM_PATH is ${given}, which does not exist`);
    return given;
  }
  const system = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
  if (system) return system;
  const bundled = (await import('@sparticuz/chromium')).default;
  return bundled.executablePath();
}

/** Headless Chromium with the background traffic that a closed network refuses switched off. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: await chromiumExecutable(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
