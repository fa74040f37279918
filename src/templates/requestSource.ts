import { isIP } from 'node:net';
import Bowser from 'bowser';
import type { RequestSource } from '../domain/request.js';

/**
 * "From where it was asked" in words an approver can judge (DESIGN §2 step 6): the browser and
 * system named by a maintained parser, and the address. The raw User-Agent never reaches a mail or
 * a page: the requester writes it, so shown as is it would be one more field to dress up a request.
 */

/** Names the parser can give; for a User-Agent it does not know it echoes part of it, so those are refused. */
const KNOWN_BROWSERS = new Set(Object.values(Bowser.BROWSER_MAP));
const KNOWN_SYSTEMS = new Set(Object.values(Bowser.OS_MAP));

/** `Chrome 120 on Windows`, `Safari 17 on iOS`, `Unknown browser on Linux`, `Unknown browser and system`. */
export function describeDevice(userAgent: string | undefined): string {
  const parsed = userAgent?.trim() ? Bowser.parse(userAgent) : undefined;
  const browserName = parsed?.browser.name;
  const systemName = parsed?.os.name;
  const browser = browserName && KNOWN_BROWSERS.has(browserName) ? withMajorVersion(browserName, parsed?.browser.version) : undefined;
  const system = systemName && KNOWN_SYSTEMS.has(systemName) ? systemName : undefined;
  if (browser && system) return `${browser} on ${system}`;
  if (browser) return `${browser} on an unknown system`;
  if (system) return `Unknown browser on ${system}`;
  return 'Unknown browser and system';
}

/** Only the leading number: enough to tell an outdated browser, nothing the requester can spell. */
function withMajorVersion(name: string, version: string | undefined): string {
  const major = /^\d{1,4}/.exec(version ?? '')?.[0];
  return major ? `${name} ${major}` : name;
}

/** `Chrome 120 on Windows, IP address 203.0.113.7`; an address that is not an IP is not shown. */
export function describeRequestSource(source: RequestSource | undefined): string {
  const ip = source?.ip && isIP(source.ip) ? source.ip : undefined;
  return `${describeDevice(source?.userAgent)}, ${ip ? `IP address ${ip}` : 'unknown IP address'}`;
}
