import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The one key the local host accepts for `function` and `admin` HTTP triggers (in Azure: function,
 * host and master keys). Persisted in the data folder so URLs keep working across restarts.
 */
export function resolveHostKey(options: { key?: string; dataDir?: string }): string {
  if (options.key) return options.key;
  if (!options.dataDir) return newKey();
  const file = path.join(options.dataDir, 'host-key');
  if (fs.existsSync(file)) {
    const stored = fs.readFileSync(file, 'utf8').trim();
    if (stored) return stored;
  }
  const key = newKey();
  fs.mkdirSync(options.dataDir, { recursive: true });
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

function newKey(): string {
  return randomBytes(32).toString('base64url');
}

/** `anonymous` needs nothing; any other level needs the key as `code` query or `x-functions-key` header. */
export function isAuthorized(authLevel: string, url: URL, headers: Record<string, string | string[] | undefined>, hostKey: string): boolean {
  if (authLevel.toLowerCase() === 'anonymous') return true;
  const header = headers['x-functions-key'];
  const presented = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code');
  if (!presented) return false;
  const expected = Buffer.from(hostKey);
  const actual = Buffer.from(presented);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
