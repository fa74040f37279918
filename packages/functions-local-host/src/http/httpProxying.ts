import http, { type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * HTTP streaming as the Functions host does it for a worker that reports `HttpUri`
 * (`DefaultHttpProxyService`, a YARP forwarder): the caller's request, body unread, is forwarded
 * to the worker's own HTTP server with the invocation id in `x-ms-invocation-id`, while the
 * invocation itself goes over RPC without the body; the worker's answer to the forwarded request
 * is the response, copied through as it arrives.
 */

/** The correlation header `@azure/functions` matches a forwarded request to its invocation by. */
const INVOCATION_ID_HEADER = 'x-ms-invocation-id';

/** Hop-by-hop headers, which a proxy does not copy (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

export interface ForwardedInvocation {
  /** Resolves when the worker's response has been written to the caller. */
  responded: Promise<void>;
  /** Stops forwarding: the worker's request is aborted, its response (if any) no longer copied. */
  abort(): void;
}

/**
 * Forwards `req` to the worker at `httpUri` as the host's forwarder does: same method, path,
 * query and headers, plus `X-Forwarded-Host`/`-Proto` (from which the library rebuilds the URL).
 */
export function forwardToWorker(httpUri: string, invocationId: string, req: IncomingMessage, res: ServerResponse, url: URL): ForwardedInvocation {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  headers['x-forwarded-host'] = req.headers.host ?? url.host;
  headers['x-forwarded-proto'] = url.protocol.replace(/:$/, '');
  headers[INVOCATION_ID_HEADER] = invocationId;
  const forwarded = http.request(new URL(url.pathname + url.search, httpUri), { method: req.method, headers });
  let aborted = false;
  const responded = new Promise<void>((resolve, reject) => {
    forwarded.once('error', (error) => {
      if (!aborted) reject(error);
    });
    forwarded.once('response', (workerRes) => {
      if (aborted) {
        workerRes.resume();
        return;
      }
      for (const [name, value] of Object.entries(workerRes.headers)) {
        // UNCONFIRMED whether Azure passes the worker's echo of the correlation id on: it is
        // between host and worker, so the caller does not get it.
        if (value !== undefined && !HOP_BY_HOP.has(name) && name !== INVOCATION_ID_HEADER) res.setHeader(name, value);
      }
      res.statusCode = workerRes.statusCode ?? 500;
      // Each chunk goes out as the worker writes it: that is the point of streaming.
      res.flushHeaders();
      workerRes.pipe(res);
      workerRes.once('error', reject);
      res.once('finish', resolve);
    });
  });
  responded.catch(() => undefined);
  // A caller who goes away ends the worker's request too, so the function sees its body abort.
  res.once('close', () => {
    if (!res.writableFinished) forwarded.destroy();
  });
  req.pipe(forwarded);
  return {
    responded,
    abort() {
      aborted = true;
      forwarded.destroy();
    },
  };
}
