import type { HttpRequest } from '@azure/functions';

/**
 * The caller's IP address as the Functions front end reports it: the first hop of
 * `X-Forwarded-For`, else `Client-IP`; without a port, because Azure appends one.
 */
export function clientAddressOf(request: HttpRequest): string | undefined {
  const forwarded = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim();
  const candidate = forwarded || request.headers.get('client-ip')?.trim();
  return candidate ? withoutPort(candidate) : undefined;
}

function withoutPort(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  const ipv4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(address);
  return ipv4WithPort ? ipv4WithPort[1]! : address;
}
