import type { IncomingMessage, ServerResponse } from 'node:http';

/** The raw Node HTTP plumbing the local host's own endpoints share (host, Durable API, emulator, /_dev). */

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers, 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/**
 * Reads the whole body, keeping at most `limitBytes`; a larger body is drained (so the caller can
 * still answer 413 on the same connection) and reported as `'TooLarge'`.
 */
export function readBody(req: IncomingMessage, limitBytes = Number.POSITIVE_INFINITY): Promise<Buffer | 'TooLarge'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limitBytes ? 'TooLarge' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
