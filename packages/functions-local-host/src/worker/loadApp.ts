import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import type { FunctionInvoker } from '../contracts.js';
import { AppRegistry } from './appRegistry.js';
import { AppInvoker, type WorkerLog } from './appInvoker.js';
import { beginRegistration, inheritedProgrammingModel, installCoreModule, type CoreLogLevel } from './coreModule.js';
import { expandMainGlob, hasGlobMagic } from './mainGlob.js';

export type { WorkerLog } from './appInvoker.js';

/** A real `import()` although this file compiles to CommonJS (tsc would turn `import()` into `require`). */
const nativeImport = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;

/**
 * Inside a module runner such as Vitest's, code has no default loader and `nativeImport` throws
 * ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING; a script given Node's main loader works there. Created
 * lazily because Node 20 flags that option as experimental.
 */
async function importModule(url: string): Promise<unknown> {
  try {
    return await nativeImport(url);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') throw error;
    const scriptImport = new vm.Script('(url) => import(url)', {
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    }).runInThisContext() as (url: string) => Promise<unknown>;
    return scriptImport(url);
  }
}

/** Loads are serialized: registrations go to whichever app is loading. */
let loadQueue: Promise<unknown> = Promise.resolve();
const loadCounts = new Map<string, number>();

const defaultLog: WorkerLog = (level, message) => {
  const write = level === 'error' ? console.error : level === 'warn' ? console.warn : console.log;
  write(message);
};

/**
 * Loads a Node.js v4-programming-model app the way the Azure Functions Node.js worker does
 * (`W/src/startApp.ts`): provides `@azure/functions-core`, loads the files matched by
 * `package.json` `main`, collects registrations, then runs the `appStart` hooks.
 */
export function loadApp(appDir: string, log: WorkerLog = defaultLog): Promise<FunctionInvoker> {
  const loading = loadQueue.then(() => loadAppNow(path.resolve(appDir), log));
  loadQueue = loading.catch(() => undefined);
  return loading;
}

async function loadAppNow(appDir: string, log: WorkerLog): Promise<FunctionInvoker> {
  installCoreModule();
  const packageJson = readPackageJson(appDir);
  if (!packageJson.main) {
    throw new Error(`${path.join(appDir, 'package.json')} has no "main" entry point glob.`);
  }
  const files = expandMainGlob(appDir, packageJson.main);
  if (files.length === 0) {
    let reason = hasGlobMagic(packageJson.main) ? 'Found zero files matching the supplied pattern' : 'File does not exist';
    if (packageJson.main === 'index.js') reason += '. Learn more here: https://aka.ms/AAla7et';
    throw new Error(entryPointError(packageJson.main, reason));
  }
  const registry = new AppRegistry(appDir);
  beginRegistration(registry, (level, category, message) => log(toWorkerLevel(level), `[${category}] ${message}`));
  const loadCount = (loadCounts.get(appDir) ?? 0) + 1;
  loadCounts.set(appDir, loadCount);
  forgetCachedAppModules(appDir);
  const appRequire = createRequire(path.join(appDir, 'package.json'));
  for (const file of files) {
    try {
      if (isEsModule(file, packageJson)) {
        const url = pathToFileURL(file);
        // A second load of the same app in one process must re-run its registrations.
        if (loadCount > 1) url.searchParams.set('devhostLoad', String(loadCount));
        await importModule(url.href);
      } else {
        appRequire(file);
      }
    } catch (thrown) {
      // The worker names the file (`W/src/startApp.ts` loadEntryPointFile) and, from Node 20 on,
      // fails the app's start; its stack (where a SyntaxError shows the line) goes to the log.
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      const relative = path.relative(appDir, file).split(path.sep).join('/');
      if (error.stack) log('error', error.stack);
      throw new Error(entryPointError(relative, error.message), { cause: error });
    }
  }
  registry.programmingModel ??= inheritedProgrammingModel();
  const appStartContext = { hookData: registry.appLevelHookData, appHookData: registry.appHookData, functionAppDirectory: appDir };
  await registry.runHooks('appStart', appStartContext);
  registry.loading = false;
  // The worker reports the programming model's capabilities to the host after the app started
  // (`W/src/eventHandlers/WorkerInitHandler.ts`); `HttpUri` is where HTTP requests must then go.
  const capabilities = (await registry.programmingModel?.getCapabilities?.({})) ?? {};
  return new AppInvoker(registry, log, capabilities.HttpUri);
}

/** The worker's message for an entry point that did not load, word for word. */
function entryPointError(fileOrPattern: string, message: string): string {
  return `Worker was unable to load entry point "${fileOrPattern}": ${message}`;
}

interface AppPackageJson {
  main?: string;
  type?: string;
}

function readPackageJson(appDir: string): AppPackageJson {
  const file = path.join(appDir, 'package.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as AppPackageJson;
}

function isEsModule(file: string, packageJson: AppPackageJson): boolean {
  return file.endsWith('.mjs') || (file.endsWith('.js') && packageJson.type === 'module');
}

/** CommonJS caches modules by path; drop the app's own files so a reload registers again. */
function forgetCachedAppModules(appDir: string): void {
  const appPrefix = appDir + path.sep;
  const nodeModules = `${path.sep}node_modules${path.sep}`;
  const cache = createRequire(__filename).cache;
  for (const key of Object.keys(cache)) {
    if (key.startsWith(appPrefix) && !key.slice(appPrefix.length).includes(nodeModules)) {
      delete cache[key];
    }
  }
}

function toWorkerLevel(level: CoreLogLevel): 'info' | 'warn' | 'error' {
  if (level === 'error' || level === 'critical') return 'error';
  if (level === 'warning') return 'warn';
  return 'info';
}
