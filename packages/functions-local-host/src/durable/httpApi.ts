import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../nodeHttp.js';
import type { RouteHandler } from '../contracts.js';
import { managementUrls } from './bindingData.js';
import type { InstanceRecord, RuntimeStatus } from './instanceStore.js';
import type { ControlOutcome, OrchestrationRuntime } from './runtime.js';

/**
 * The Durable HTTP API: the public `/runtime/webhooks/durabletask/...` endpoints and the same
 * paths under `/durabletask/` that `DurableClient` calls through `rpcBaseUrl` (reference §5.2),
 * with the extension's status codes (`HttpApiHandler.cs`).
 */

const PREFIXES = ['/runtime/webhooks/durabletask/', '/durabletask/'];

/** Instance ids become Table partition keys, which cannot hold these characters. */
function isValidInstanceId(instanceId: string): boolean {
  return ![...instanceId].some((char) => '/\\#?'.includes(char) || char.charCodeAt(0) < 0x20 || (char.charCodeAt(0) >= 0x7f && char.charCodeAt(0) <= 0x9f));
}

type ErrorCode = 'NotFound' | 'Gone' | 'BadRequest' | 'Conflict' | 'NotImplemented' | 'MethodNotAllowed';

const STATUS_OF: Record<ErrorCode, number> = {
  NotFound: 404,
  Gone: 410,
  BadRequest: 400,
  Conflict: 409,
  NotImplemented: 501,
  MethodNotAllowed: 405,
};

/** `yyyy-MM-ddTHH:mm:ssZ`, the extension's status time format. */
function statusTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

function parseOrNull(json: string | null): unknown {
  return json === null ? null : JSON.parse(json);
}

/** `showInput=false` leaves the input out (`null`), as the extension does; it is shown by default. */
export function statusPayload(record: InstanceRecord, query?: URLSearchParams): Record<string, unknown> {
  return {
    name: record.name,
    instanceId: record.instanceId,
    runtimeStatus: record.runtimeStatus,
    input: query?.get('showInput')?.toLowerCase() === 'false' ? null : parseOrNull(record.input),
    customStatus: parseOrNull(record.customStatus),
    output: parseOrNull(record.output),
    createdTime: statusTime(record.createdTime),
    lastUpdatedTime: statusTime(record.lastUpdatedTime),
  };
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): true {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }), ...headers, 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
  return true;
}

function fail(res: ServerResponse, code: ErrorCode, message: string): true {
  return send(res, STATUS_OF[code], { error: code, message });
}

async function readText(req: IncomingMessage): Promise<string> {
  const body = await readBody(req); // no limit: never 'TooLarge'
  return body === 'TooLarge' ? '' : body.toString('utf8');
}

/** Empty means no input (`null`); anything else must be JSON. */
function jsonOrNull(text: string): string | null | undefined {
  if (text.trim() === '') return null;
  try {
    JSON.parse(text);
    return text;
  } catch {
    return undefined;
  }
}

function matchesFilter(record: InstanceRecord, query: URLSearchParams): boolean {
  const from = query.get('createdTimeFrom');
  const to = query.get('createdTimeTo');
  const statuses = query.get('runtimeStatus')?.split(',').filter(Boolean) as RuntimeStatus[] | undefined;
  const prefix = query.get('instanceIdPrefix');
  return (
    (!from || Date.parse(record.createdTime) >= Date.parse(from)) &&
    (!to || Date.parse(record.createdTime) <= Date.parse(to)) &&
    (!statuses?.length || statuses.includes(record.runtimeStatus)) &&
    (!prefix || record.instanceId.startsWith(prefix))
  );
}

const RUNNING_LIKE: readonly RuntimeStatus[] = ['Running', 'Pending', 'ContinuedAsNew', 'Suspended'];

export interface DurableHttpApiOptions {
  baseUrl: string;
  taskHubName: string;
  connectionName: string;
  newInstanceId: () => string;
}

export function createDurableHttpApi(runtime: OrchestrationRuntime, options: DurableHttpApiOptions): RouteHandler {
  const links = (instanceId: string) => managementUrls(options.baseUrl, options.taskHubName, instanceId, options.connectionName);

  const controlResponse = (res: ServerResponse, outcome: ControlOutcome, instanceId: string): true => {
    if (outcome === 'notFound') return fail(res, 'NotFound', `No instance with ID '${instanceId}' found.`);
    if (outcome === 'gone') return fail(res, 'Gone', `The instance '${instanceId}' has already finished.`);
    return send(res, 202);
  };

  return async (req, res, url) => {
    const prefix = PREFIXES.find((candidate) => url.pathname.startsWith(candidate));
    if (!prefix) return false;
    const segments = url.pathname.slice(prefix.length).split('/').map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const [collection, id, action, eventName] = segments;

    if (collection === 'orchestrators' && segments.length <= 3 && id) {
      if (method !== 'POST') return fail(res, 'MethodNotAllowed', 'Use POST to start an orchestration.');
      const instanceId = action || options.newInstanceId();
      if (!isValidInstanceId(instanceId)) return fail(res, 'BadRequest', `The instance ID '${instanceId}' contains characters that are not allowed.`);
      const input = jsonOrNull(await readText(req));
      if (input === undefined) return fail(res, 'BadRequest', 'The request body must be JSON.');
      const outcome = await runtime.startNew(id, instanceId, input ?? 'null');
      if (outcome === 'unknownOrchestrator') return fail(res, 'BadRequest', `The function '${id}' doesn't exist, is disabled, or is not an orchestrator function.`);
      if (outcome === 'conflict') return fail(res, 'Conflict', `An instance with ID '${instanceId}' already exists.`);
      const payload = links(instanceId);
      return send(res, 202, payload, { location: payload.statusQueryGetUri, 'retry-after': '10' });
    }

    if (collection !== 'instances') return fail(res, 'NotFound', `Nothing is served at ${url.pathname}.`);

    if (!id) {
      const records = (await runtime.listRecords()).filter((record) => matchesFilter(record, url.searchParams));
      if (method === 'GET') return send(res, 200, records.map((record) => statusPayload(record, url.searchParams)));
      if (method === 'DELETE') {
        let instancesDeleted = 0;
        for (const record of records) instancesDeleted += await runtime.purge(record.instanceId);
        return instancesDeleted > 0 ? send(res, 200, { instancesDeleted }) : fail(res, 'NotFound', 'No instances matched.');
      }
      return fail(res, 'MethodNotAllowed', 'Use GET or DELETE on the instance collection.');
    }

    if (!action) {
      if (method === 'DELETE') {
        const instancesDeleted = await runtime.purge(id);
        return instancesDeleted > 0 ? send(res, 200, { instancesDeleted }) : fail(res, 'NotFound', `No finished instance with ID '${id}' found.`);
      }
      if (method !== 'GET') return fail(res, 'MethodNotAllowed', 'Use GET or DELETE on an instance.');
      const record = await runtime.readRecord(id);
      if (!record) return fail(res, 'NotFound', `No instance with ID '${id}' found.`);
      if (RUNNING_LIKE.includes(record.runtimeStatus)) {
        return send(res, 202, statusPayload(record, url.searchParams), { location: links(id).statusQueryGetUri, 'retry-after': '5' });
      }
      return send(res, 200, statusPayload(record, url.searchParams));
    }

    if (method !== 'POST') return fail(res, 'MethodNotAllowed', `Use POST for ${action}.`);
    const reason = url.searchParams.get('reason');
    switch (action) {
      case 'raiseEvent': {
        if (!eventName) return fail(res, 'BadRequest', 'An event name is required.');
        if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return fail(res, 'BadRequest', 'The content type must be application/json.');
        const input = jsonOrNull(await readText(req));
        if (input === undefined) return fail(res, 'BadRequest', 'The request body must be JSON.');
        return controlResponse(res, await runtime.raiseEvent(id, eventName, input), id);
      }
      case 'terminate':
      case 'suspend':
      case 'resume':
        return controlResponse(res, await runtime.control(id, { type: action, reason }), id);
      case 'rewind':
      case 'restart':
        return fail(res, 'NotImplemented', `${action} is not supported by the local host.`);
      default:
        return fail(res, 'NotFound', `Nothing is served at ${url.pathname}.`);
    }
  };
}
