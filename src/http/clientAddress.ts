import { isIPv6 } from 'node:net';
import type { HttpRequest } from '@azure/functions';

/**
 * The caller's IP address as the Azure front end reports it. `Client-IP` is set by the platform
 * (it replaces whatever the caller sent), so it comes first; otherwise the LAST hop of
 * `X-Forwarded-For`, the one the nearest proxy appended. The first hop is whatever the caller
 * chose to write, so trusting it would let anyone dodge the per-source rate limit and show the
 * approver a made-up origin. Azure appends a port; it is dropped.
 */
export function clientAddressOf(request: HttpRequest): string | undefined {
  const platform = request.headers.get('client-ip')?.trim();
  const nearestHop = request.headers.get('x-forwarded-for')?.split(',').pop()?.trim();
  const candidate = platform || nearestHop;
  return candidate ? withoutPort(candidate) : undefined;
}

function withoutPort(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  const ipv4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(address);
  return ipv4WithPort ? ipv4WithPort[1]! : address;
}

/**
 * Whose budget a submission from `address` counts against. An IPv6 client is usually given a
 * whole /64 and may pick any address in it, so an IPv6 address counts as its /64 (however it is
 * written), and an IPv4-mapped one (`::ffff:a.b.c.d`) as that IPv4 address. The stored source
 * keeps the full address.
 */
export function rateLimitSourceOf(address: string | undefined): string {
  if (!address) return 'unknown';
  const unzoned = address.split('%')[0]!;
  if (!isIPv6(unzoned)) return address;
  const groups = ipv6Groups(unzoned);
  const hex = (group: number) => group.toString(16);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map(hex).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address. */
function ipv6Groups(address: string): number[] {
  // The URL parser writes it canonically: lower-case hex groups, a dotted IPv4 tail as two groups.
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const groupsOf = (part: string | undefined) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const left = groupsOf(head);
  const right = groupsOf(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
