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
