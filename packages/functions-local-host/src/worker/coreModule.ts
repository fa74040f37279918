import Module from 'node:module';
import type { AppRegistry, CoreFunctionCallback, CoreFunctionMetadata, CoreProgrammingModel, HookCallback } from './appRegistry.js';

/**
 * The `@azure/functions-core` module the Node.js worker provides to apps. `@azure/functions`
 * caches this object on first use, so one object serves every app in the process and routes each
 * call to the app that is loading (or was loaded last).
 */

export type CoreLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type CoreLogger = (level: CoreLogLevel, category: string, message: string) => void;

/** `W/src/Disposable.ts`: apps may call `Disposable.from(...)` or `new Disposable(cb)`. */
class Disposable {
  static from(...inputs: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => inputs.forEach((input) => input.dispose()));
  }

  #callOnDispose?: () => unknown;

  constructor(callOnDispose: () => unknown) {
    this.#callOnDispose = callOnDispose;
  }

  dispose(): void {
    this.#callOnDispose?.();
    this.#callOnDispose = undefined;
  }
}

let currentApp: AppRegistry | undefined;
let systemLog: CoreLogger = () => undefined;
/**
 * `@azure/functions` sets its programming model only on its first registration in the process,
 * so a second app using the same library copy inherits it from here.
 */
let lastProgrammingModel: CoreProgrammingModel | undefined;

function requireCurrentApp(): AppRegistry {
  if (!currentApp) {
    throw new Error('No Azure Functions app is loading: registrations are only allowed during app startup.');
  }
  return currentApp;
}

const coreApi = {
  version: '3.10.1',
  get hostVersion(): string {
    return '4.1000.0';
  },
  registerFunction(metadata: CoreFunctionMetadata, callback: CoreFunctionCallback): Disposable {
    return new Disposable(requireCurrentApp().registerFunction(metadata, callback));
  },
  registerHook(name: string, callback: HookCallback): Disposable {
    return new Disposable(requireCurrentApp().registerHook(name, callback));
  },
  setProgrammingModel(model: CoreProgrammingModel): void {
    lastProgrammingModel = model;
    requireCurrentApp().programmingModel = model;
  },
  getProgrammingModel(): CoreProgrammingModel | undefined {
    return currentApp?.programmingModel;
  },
  log(level: CoreLogLevel, category: string, message: string): void {
    systemLog(level, category, message);
  },
  Disposable,
};

let installed = false;

/**
 * Hooks `Module.prototype.require` exactly like `W/src/setupCoreModule.ts`, once per process. Must run
 * before anything requires `@azure/functions` (its lazy lookup caches a miss forever).
 */
export function installCoreModule(): void {
  if (installed) return;
  installed = true;
  const proto = Module.prototype as unknown as { require: (id: string) => unknown };
  proto.require = new Proxy(proto.require, {
    apply(target, thisArg, argArray: unknown[]) {
      if (argArray[0] === '@azure/functions-core') return coreApi;
      return Reflect.apply(target, thisArg, argArray) as unknown;
    },
  });
}

/** Makes `app` the receiver of registrations; the programming model falls back to the last one set. */
export function beginRegistration(app: AppRegistry, log: CoreLogger): void {
  currentApp = app;
  systemLog = log;
}

export function inheritedProgrammingModel(): CoreProgrammingModel | undefined {
  return lastProgrammingModel;
}
