import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../nodeHttp.js';
import type { RouteHandler } from '../contracts.js';
import { managementUrls } from './bindingData.js';
import type { HistoryEvent } from './history.js';
import type { InstanceRecord, RuntimeStatus } from './instanceStore.js';
import type { ControlOutcome, OrchestrationRuntime } from './runtime.js';
import { historyEventsPayload } from './statusHistory.js';

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

type ErrorCode = 'NotFound' | 'Gone' | 'BadRequest' | 'Conflict' | 'NotImplemented' | 'MethodNotAllowed' | 'InternalServerError';

const STATUS_OF: Record<ErrorCode, number> = {
  NotFound: 404,
  Gone: 410,
  BadRequest: 400,
  Conflict: 409,
  NotImplemented: 501,
  MethodNotAllowed: 405,
  InternalServerError: 500,
};

/** `OrchestrationStatusQueryCondition.PageSize`'s default: a list answers 100 instances a page. */
const DEFAULT_PAGE_SIZE = 100;
const CONTINUATION_HEADER = 'x-ms-continuation-token';

/** .NET `bool.TryParse`: `true`/`false` in any case; anything else is no value. */
function queryFlag(query: URLSearchParams, name: string): boolean | undefined {
  const value = query.get(name)?.trim().toLowerCase();
  return value === 'true' ? true : value === 'false' ? false : undefined;
}

/** `yyyy-MM-ddTHH:mm:ssZ`, the extension's status time format. */
function statusTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

function parseOrNull(json: string | null): unknown {
  return json === null ? null : JSON.parse(json);
}

/**
 * The extension's status JSON. `showInput=false` leaves the input out (`null`); it is shown by
 * default. `historyEvents` is there only when asked for and the instance has started.
 */
export function statusPayload(record: InstanceRecord, query?: URLSearchParams, history?: HistoryEvent[]): Record<string, unknown> {
  const showInput = (query && queryFlag(query, 'showInput')) ?? true;
  const payload: Record<string, unknown> = {
    name: record.name,
    instanceId: record.instanceId,
    runtimeStatus: record.runtimeStatus,
    input: showInput ? parseOrNull(record.input) : null,
    customStatus: parseOrNull(record.customStatus),
    output: parseOrNull(record.output),
    createdTime: statusTime(record.createdTime),
    lastUpdatedTime: statusTime(record.lastUpdatedTime),
  };
  if (history && history.length > 0) {
    payload.historyEvents = historyEventsPayload(history, { showHistoryOutput: (query && queryFlag(query, 'showHistoryOutput')) ?? false, showInput });
  }
  return payload;
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

/** DTFx `OrchestrationStatus` in order: `runtimeStatus` takes the names (case as is) or the numbers. */
const RUNTIME_STATUSES: readonly RuntimeStatus[] = ['Running', 'Completed', 'ContinuedAsNew', 'Failed', 'Canceled', 'Terminated', 'Pending', 'Suspended'];

/** `createdTimeFrom`/`createdTimeTo` (ISO dates), `runtimeStatus` (comma-separated, unknown names ignored). */
interface InstanceFilter {
  createdFrom?: number;
  createdTo?: number;
  statuses: RuntimeStatus[];
  instanceIdPrefix?: string;
}

function queryTime(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  const time = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) ? undefined : time;
}

function instanceFilter(query: URLSearchParams): InstanceFilter {
  const statuses = query
    .getAll('runtimeStatus')
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .flatMap((value) => (/^\d+$/.test(value) ? (RUNTIME_STATUSES[Number(value)] ?? []) : RUNTIME_STATUSES.filter((status) => status === value)));
  return {
    createdFrom: queryTime(query, 'createdTimeFrom'),
    createdTo: queryTime(query, 'createdTimeTo'),
    statuses,
    instanceIdPrefix: query.get('instanceIdPrefix') ?? undefined,
  };
}

function matchesFilter(record: InstanceRecord, filter: InstanceFilter): boolean {
  const created = Date.parse(record.createdTime);
  return (
    (filter.createdFrom === undefined || created >= filter.createdFrom) &&
    (filter.createdTo === undefined || created <= filter.createdTo) &&
    (filter.statuses.length === 0 || filter.statuses.includes(record.runtimeStatus)) &&
    (filter.instanceIdPrefix === undefined || record.instanceId.startsWith(filter.instanceIdPrefix))
  );
}

/**
 * Continuation tokens are opaque to callers, as Azure's are; ours name the instance a page ended
 * with (the Instances table is read in instance id order, its partition key).
 */
function continuationToken(lastInstanceId: string): string {
  return Buffer.from(JSON.stringify({ after: lastInstanceId })).toString('base64');
}

function instanceAfter(token: string): string | undefined {
  try {
    const after = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { after?: unknown }).after;
    return typeof after === 'string' ? after : undefined;
  } catch {
    return undefined;
  }
}

function byInstanceId(a: InstanceRecord, b: InstanceRecord): number {
  return a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0;
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

  /** `CreateCheckStatusResponse`: 202 with the new instance's links. */
  const accepted = (res: ServerResponse, instanceId: string): true => {
    const payload = links(instanceId);
    return send(res, 202, payload, { location: payload.statusQueryGetUri, 'retry-after': '10' });
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
      return accepted(res, instanceId);
    }

    if (collection === 'entities') {
      // DurableClient.signalEntity / readEntityState: the extension serves these; the host has no entities.
      const operation = url.searchParams.get('op');
      const call = method === 'POST' ? 'signalEntity' : method === 'GET' ? 'readEntityState' : method;
      return fail(res, 'NotImplemented', `Durable entities are not supported by the local host (${call} on entity '${id ?? ''}' with key '${action ?? ''}'${operation ? `, operation '${operation}'` : ''}).`);
    }
    if (collection !== 'instances') return fail(res, 'NotFound', `Nothing is served at ${url.pathname}.`);

    if (!id) {
      if (method === 'GET') return listInstances(runtime, req, res, url.searchParams);
      if (method === 'DELETE') {
        // The extension insists on a lower bound and takes "now" as the upper one.
        if (queryTime(url.searchParams, 'createdTimeFrom') === undefined) return send(res, 400, "Please provide value for 'createdTimeFrom' parameter.");
        const filter = { ...instanceFilter(url.searchParams), instanceIdPrefix: undefined };
        filter.createdTo ??= runtime.now().getTime();
        let instancesDeleted = 0;
        for (const record of (await runtime.listRecords()).filter((candidate) => matchesFilter(candidate, filter))) {
          instancesDeleted += await runtime.purge(record.instanceId);
        }
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
      const history = queryFlag(url.searchParams, 'showHistory') && record.runtimeStatus !== 'Pending' ? await runtime.readHistory(id) : undefined;
      const payload = statusPayload(record, url.searchParams, history);
      // Running-like: 202 pointing back at this very request (the extension's Location is the request URI).
      if (RUNNING_LIKE.includes(record.runtimeStatus)) return send(res, 202, payload, { location: url.href, 'retry-after': '5' });
      return send(res, 200, payload);
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
      case 'restart': {
        // Same name and input; a new instance id unless restartWithNewInstanceId=false (HttpApiHandler).
        const record = await runtime.readRecord(id);
        if (!record) return fail(res, 'BadRequest', 'InstanceId does not match a valid orchestration instance.');
        const instanceId = (queryFlag(url.searchParams, 'restartWithNewInstanceId') ?? true) ? options.newInstanceId() : id;
        const outcome = await runtime.startNew(record.name, instanceId, record.input);
        if (outcome === 'unknownOrchestrator') return fail(res, 'BadRequest', 'InstanceId does not match a valid orchestration instance.');
        if (outcome === 'conflict') return fail(res, 'Conflict', `An instance with ID '${instanceId}' is still running.`);
        return accepted(res, instanceId);
      }
      case 'rewind': {
        const outcome = await runtime.rewind(id, reason);
        if (outcome === 'notFailed') {
          // The extension's InvalidOperationException reaches its catch-all: a 500.
          return fail(res, 'InternalServerError', 'The rewind operation is only supported on failed orchestration instances.');
        }
        if (outcome === 'retried') {
          return fail(res, 'NotImplemented', 'The local host cannot rewind an instance whose failed activity or sub-orchestration was retried (callActivityWithRetry, callSubOrchestratorWithRetry).');
        }
        return controlResponse(res, outcome, id);
      }
      default:
        return fail(res, 'NotFound', `Nothing is served at ${url.pathname}.`);
    }
  };
}

/**
 * `GET instances/`: filtered, in instance id order, `top` (default 100) a page; a further page is
 * announced with the `x-ms-continuation-token` response header and asked for with the same
 * request header (Durable HTTP API reference).
 */
async function listInstances(runtime: OrchestrationRuntime, req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<true> {
  const top = /^\s*\d+\s*$/.test(query.get('top') ?? '') ? Number(query.get('top')) : 0;
  const pageSize = top > 0 ? top : DEFAULT_PAGE_SIZE;
  const token = req.headers[CONTINUATION_HEADER];
  const after = typeof token === 'string' && token !== '' ? instanceAfter(token) : undefined;
  if (typeof token === 'string' && token !== '' && after === undefined) return fail(res, 'BadRequest', `The ${CONTINUATION_HEADER} header is not a continuation token of this API.`);
  const filter = instanceFilter(query);
  const matching = (await runtime.listRecords()).filter((record) => matchesFilter(record, filter) && (after === undefined || record.instanceId > after)).sort(byInstanceId);
  const page = matching.slice(0, pageSize);
  const headers: Record<string, string> = matching.length > pageSize ? { [CONTINUATION_HEADER]: continuationToken(page.at(-1)!.instanceId) } : {};
  return send(res, 200, page.map((record) => statusPayload(record, query)), headers);
}
