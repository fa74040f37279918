import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { toRpcHttpRequest } from '../../src/http/rpcHttp.js';

/** Just what `toRpcHttpRequest` reads of a Node request. */
function incoming(method: string, headers: Record<string, string> = {}): IncomingMessage {
  return { method, headers, socket: { remoteAddress: '127.0.0.1', remotePort: 5000 } } as unknown as IncomingMessage;
}

const url = new URL('http://localhost:7071/api/things?x=1');

describe('the RPC HTTP request sent to the worker', () => {
  test('has no body for GET or HEAD, even when bytes arrived', () => {
    for (const method of ['GET', 'HEAD', 'get']) {
      const request = toRpcHttpRequest(incoming(method), url, {}, Buffer.from('stray'));
      expect(request).not.toHaveProperty('body');
      expect(request.method).toBe(method.toUpperCase());
    }
  });

  test('has no body for another method whose request has none (content-length 0, or nothing chunked)', () => {
    expect(toRpcHttpRequest(incoming('POST', { 'content-length': '0' }), url, {}, Buffer.alloc(0))).not.toHaveProperty('body');
    expect(toRpcHttpRequest(incoming('DELETE'), url, {}, Buffer.alloc(0))).not.toHaveProperty('body');
    expect(toRpcHttpRequest(incoming('PUT', { 'transfer-encoding': 'chunked' }), url, {}, Buffer.alloc(0))).not.toHaveProperty('body');
  });

  test('carries the bytes of a body, whether sized or chunked', () => {
    const sized = toRpcHttpRequest(incoming('POST', { 'content-length': '3' }), url, { id: '7' }, Buffer.from('abc'));
    expect(Buffer.from(sized.body!.bytes).toString()).toBe('abc');
    expect(sized).toMatchObject({ method: 'POST', url: url.href, params: { id: '7' }, query: { x: '1' } });
    const chunked = toRpcHttpRequest(incoming('PATCH', { 'transfer-encoding': 'chunked' }), url, {}, Buffer.from('streamed'));
    expect(Buffer.from(chunked.body!.bytes).toString()).toBe('streamed');
  });
});
