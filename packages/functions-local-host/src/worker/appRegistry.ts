/**
 * What one app registered through `@azure/functions-core` while it loaded: its functions, its
 * hooks and its programming model. Kept per app so several apps can live in one process (tests).
 */

/** The worker's function metadata as the programming model builds it (`name`, `bindings`, ...). */
export interface CoreFunctionMetadata {
  name: string;
  functionId?: string;
  bindings: Record<string, { type: string; direction: string; [property: string]: unknown }>;
  [property: string]: unknown;
}

export type CoreFunctionCallback = (...args: unknown[]) => unknown;

export type HookName = 'appStart' | 'appTerminate' | 'preInvocation' | 'postInvocation' | 'log';
export type HookCallback = (context: unknown) => unknown;

/** The part of `@azure/functions-core`'s ProgrammingModel the worker calls. */
export interface CoreProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreContext: unknown): CoreInvocationModel | Promise<CoreInvocationModel>;
  /** Asked once the app has started; `@azure/functions` 4.3+ answers `HttpUri` when it streams HTTP. */
  getCapabilities?(capabilities: Record<string, string>): Record<string, string> | Promise<Record<string, string>>;
}

export interface CoreInvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: CoreFunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<{ returnValue?: unknown; outputData?: unknown[] | null }>;
}

export interface RegisteredCallback {
  metadata: CoreFunctionMetadata;
  callback: CoreFunctionCallback;
}

const HOOK_NAMES: readonly HookName[] = ['appStart', 'appTerminate', 'preInvocation', 'postInvocation', 'log'];

export class AppRegistry {
  readonly functions = new Map<string, RegisteredCallback>();
  readonly hooks = new Map<HookName, HookCallback[]>(HOOK_NAMES.map((name) => [name, []]));
  /** Shared by every hook of this app, like the worker's `appHookData`. */
  readonly appHookData: Record<string, unknown> = {};
  /** `hookData` of app-level hooks (appStart, appTerminate); invocation hooks get their own. */
  readonly appLevelHookData: Record<string, unknown> = {};
  programmingModel?: CoreProgrammingModel;
  /** Registration of functions is only allowed while the app loads (as in the real worker). */
  loading = true;

  constructor(readonly appDir: string) {}

  registerFunction(metadata: CoreFunctionMetadata, callback: CoreFunctionCallback): () => void {
    if (!this.loading) {
      throw new Error('A function can only be registered during app startup.');
    }
    const id = metadata.functionId || metadata.name;
    if (this.functions.has(id)) {
      throw new Error(`A function with id "${id}" has already been registered.`);
    }
    this.functions.set(id, { metadata, callback });
    return () => this.functions.delete(id);
  }

  registerHook(name: string, callback: HookCallback): () => void {
    const hooks = this.hooks.get(name as HookName);
    if (!hooks) {
      throw new RangeError(`Unrecognized hook "${name}"`);
    }
    hooks.push(callback);
    return () => {
      const index = hooks.indexOf(callback);
      if (index >= 0) hooks.splice(index, 1);
    };
  }

  /** Runs the hooks of one kind in registration order, each awaited (like the worker). */
  async runHooks(name: HookName, context: unknown): Promise<void> {
    for (const hook of [...(this.hooks.get(name) ?? [])]) {
      await hook(context);
    }
  }
}
