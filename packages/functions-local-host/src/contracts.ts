import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DurableClock } from './durable/clock.js';

/**
 * Seams inside the local host: the worker part (loads an app and invokes its functions through
 * its own `@azure/functions` programming model), the Durable Task part (orchestrations, history,
 * Durable HTTP API) and the HTTP server that routes between them.
 * Wire formats are in shared/reference/durable-host-protocol.md.
 */

/** The worker's `RpcTypedData`, as far as the host uses it. */
export interface TypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  http?: unknown;
  int?: number | null;
  double?: number | null;
}

export interface BindingInfo {
  type: string;
  direction: 'in' | 'out' | 'inout';
  name?: string;
  [property: string]: unknown;
}

export interface RegisteredFunction {
  name: string;
  /** As the programming model registered them, keyed by binding name (`$return` included). */
  bindings: Record<string, BindingInfo>;
  /** The single binding whose type ends with `Trigger`. */
  triggerBindingName: string;
  triggerType: string;
}

export interface InvocationInput {
  name: string;
  data: TypedData;
}

export interface InvocationResult {
  returnValue?: TypedData | null;
  outputData: InvocationInput[];
}

/** A handler threw (after postInvocation hooks): what the real worker reports as a Failure. */
export class InvocationFailure extends Error {
  constructor(message: string, readonly stackTrace?: string) {
    super(message);
    this.name = 'InvocationFailure';
  }
}

/** The loaded app. Implemented in `worker/`. */
export interface FunctionInvoker {
  readonly appDir: string;
  functions(): RegisteredFunction[];
  /**
   * The worker's `HttpUri` capability, set when the app streams HTTP (`app.setup({
   * enableHttpStream: true })`): HTTP trigger requests are then forwarded there, not sent over RPC.
   */
  readonly httpUri?: string;
  /**
   * Runs one invocation through the app's programming model: getArguments → preInvocation hooks
   * → handler → postInvocation hooks → getResponse. Rejects with `InvocationFailure` when the
   * handler fails. `invocationId` is generated unless the host needs it beforehand (to correlate
   * a forwarded HTTP request).
   */
  invoke(functionName: string, inputData: InvocationInput[], triggerMetadata?: Record<string, TypedData>, invocationId?: string): Promise<InvocationResult>;
  /** Runs appTerminate hooks. */
  terminate(): Promise<void>;
}

/** Handles a request if it is one of its routes; resolves false to let the next handler try. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

/** The Durable Task part. Implemented in `durable/`. */
export interface DurableEngine {
  /** Creates its tables and resumes every unfinished instance (timers that came due fire late). */
  start(): Promise<void>;
  /** Stops dispatching, waits for running episodes and activities, leaves state consistent. */
  stop(): Promise<void>;
  /** The `durableClient` input binding's data, the same JSON the extension gives in Azure. */
  clientBindingData(): TypedData;
  /** `/runtime/webhooks/durabletask/...` (public) and the `rpcBaseUrl` routes the client library calls. */
  handleHttp: RouteHandler;
}

export interface DurableEngineOptions {
  invoker: FunctionInvoker;
  /** Table Storage connection string (Azurite or an account given by `AzureWebJobsStorage`). */
  storageConnectionString: string;
  taskHubName: string;
  /** The storage connection's name as host.json gives it (`Storage` by default); links carry it. */
  connectionName: string;
  /** e.g. `http://localhost:7071`; used for management URLs and `rpcBaseUrl`. */
  baseUrl: string;
  maxConcurrentActivityFunctions: number;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** The engine's time; the system clock unless a test skips time (`TimeSkippingClock`). */
  clock?: DurableClock;
}
