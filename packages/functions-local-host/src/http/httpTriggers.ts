import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvocationFailure, type DurableEngine, type FunctionInvoker, type InvocationInput, type RegisteredFunction, type RouteHandler, type TypedData } from '../contracts.js';
import { isAuthorized } from './hostKey.js';
import { compareRoutePrecedence, compileRouteTemplate, type CompiledRoute } from './routeTemplate.js';
import { readBody } from '../nodeHttp.js';
import { forwardToWorker } from './httpProxying.js';
import { toRpcHttpRequest, writeRpcHttpResponse, type RpcHttpRequest, type RpcHttpResponse } from './rpcHttp.js';

/** The Functions host's default request size limit (100 MB). */
const MAX_REQUEST_BYTES = 100 * 1024 * 1024;

export interface HttpRoute {
  functionName: string;
  /** Upper-case methods; empty means every method. */
  methods: string[];
  /** Full path template including the route prefix, e.g. `/api/items/{id:guid}`. */
  path: string;
  authLevel: string;
}

export interface HttpTriggerOptions {
  invoker: FunctionInvoker;
  /** `extensions.http.routePrefix` of host.json; may be empty. */
  routePrefix: string;
  hostKey: string;
  /** Supplies `durableClient` inputs; absent when the app has no Durable functions. */
  engine?: DurableEngine;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

interface CompiledHttpRoute extends HttpRoute {
  compiled: CompiledRoute;
  fn: RegisteredFunction;
}

/** The app's HTTP-triggered functions as routes, most specific first. */
export function httpRoutes(functions: RegisteredFunction[], routePrefix: string): HttpRoute[] {
  return compileRoutes(functions, routePrefix).map(({ functionName, methods, path, authLevel }) => ({ functionName, methods, path, authLevel }));
}

function compileRoutes(functions: RegisteredFunction[], routePrefix: string): CompiledHttpRoute[] {
  const prefix = routePrefix.replace(/^\/+|\/+$/g, '');
  return functions
    .filter((fn) => fn.triggerType.toLowerCase() === 'httptrigger')
    .map((fn) => {
      const trigger = fn.bindings[fn.triggerBindingName]!;
      const route = typeof trigger.route === 'string' && trigger.route.trim() !== '' ? trigger.route : fn.name;
      const template = [prefix, route.replace(/^\/+|\/+$/g, '')].filter((part) => part !== '').join('/');
      const methods = Array.isArray(trigger.methods) ? trigger.methods.map((m) => String(m).toUpperCase()) : [];
      const authLevel = typeof trigger.authLevel === 'string' ? trigger.authLevel : 'function';
      return { functionName: fn.name, methods, path: `/${template}`, authLevel, compiled: compileRouteTemplate(template), fn };
    })
    .sort((a, b) => compareRoutePrecedence(a.compiled, b.compiled));
}

/**
 * Serves HTTP triggers like the Functions host: route, method and auth level, then one invocation
 * through the worker; the handler's `HttpResponse` becomes the response.
 */
export function createHttpTriggerHandler(options: HttpTriggerOptions): RouteHandler {
  const routes = compileRoutes(options.invoker.functions(), options.routePrefix);

  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const method = (req.method ?? 'GET').toUpperCase();
    let matched: { route: CompiledHttpRoute; params: Record<string, string> } | undefined;
    for (const route of routes) {
      const params = route.compiled.match(url.pathname);
      // A method the function does not accept makes the route not match: the real host answers
      // 404 (not 405) because methods are part of its route constraints.
      if (params && (route.methods.length === 0 || route.methods.includes(method))) {
        matched = { route, params };
        break;
      }
    }
    if (!matched) return false;
    const { route, params } = matched;

    if (!isAuthorized(route.authLevel, url, req.headers, options.hostKey)) {
      res.statusCode = 401;
      res.end();
      return true;
    }
    // A streaming worker reads the body itself from the forwarded request; otherwise it comes whole over RPC.
    const streamTo = options.invoker.httpUri;
    const body = streamTo ? Buffer.alloc(0) : await readBody(req, MAX_REQUEST_BYTES);
    if (body === 'TooLarge') {
      res.statusCode = 413;
      res.end();
      return true;
    }

    const http = toRpcHttpRequest(req, url, params, body);
    const inputData: InvocationInput[] = [{ name: route.fn.triggerBindingName, data: { http } }];
    for (const [bindingName, binding] of Object.entries(route.fn.bindings)) {
      if (binding.type === 'durableClient' && binding.direction === 'in') {
        if (options.engine) inputData.push({ name: bindingName, data: options.engine.clientBindingData() });
        else options.log('warn', `Function "${route.functionName}" has a durableClient input but the host runs no Durable engine.`);
      }
    }

    const invocationId = randomUUID();
    const forwarding = streamTo ? forwardToWorker(streamTo, invocationId, req, res, url) : undefined;
    try {
      const result = await options.invoker.invoke(route.functionName, inputData, triggerMetadata(params, http), invocationId);
      if (forwarding) {
        // The library answers the forwarded request before its invocation completes; a handler
        // that returns no response leaves it unanswered (as in Azure, until the caller gives up).
        await forwarding.responded;
        return true;
      }
      const response = httpResponseOf(route.fn, result.returnValue, result.outputData);
      if (!response) {
        // UNCONFIRMED: what the real host answers when a handler returns nothing; 204 is the
        // closest to "no response was set".
        res.statusCode = 204;
        res.end();
      } else {
        writeRpcHttpResponse(res, response);
      }
    } catch (error) {
      forwarding?.abort();
      const detail = error instanceof InvocationFailure ? (error.stackTrace ?? error.message) : error instanceof Error ? (error.stack ?? error.message) : String(error);
      options.log('error', `Function "${route.functionName}" failed (${method} ${url.pathname}): ${detail}`);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end();
      } else {
        res.destroy();
      }
    }
    return true;
  };
}

/**
 * Route values, the headers and the query also reach the function as trigger metadata, as the host
 * sends them; a streaming `@azure/functions` takes the request's headers and params from there.
 */
function triggerMetadata(params: Record<string, string>, http: RpcHttpRequest): Record<string, TypedData> {
  return {
    ...Object.fromEntries(Object.entries(params).map(([name, value]) => [name, { string: value }])),
    Headers: { json: JSON.stringify(http.headers) },
    Query: { json: JSON.stringify(http.query) },
  };
}

function httpResponseOf(fn: RegisteredFunction, returnValue: TypedData | null | undefined, outputData: InvocationInput[]): RpcHttpResponse | undefined {
  const httpOutput = Object.entries(fn.bindings).find(([, binding]) => binding.type === 'http' && binding.direction === 'out');
  if (!httpOutput) return undefined;
  const [name] = httpOutput;
  const data = name === '$return' ? returnValue : outputData.find((output) => output.name === name)?.data;
  return (data?.http as RpcHttpResponse | undefined) ?? undefined;
}
