import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { InvocationFailure, type FunctionInvoker, type InvocationInput } from '../../src/contracts.js';
import { loadApp } from '../../src/worker/loadApp.js';
import { globToRegExp } from '../../src/worker/mainGlob.js';

const appsDir = path.join(__dirname, '../apps');
const quiet = () => undefined;

function triggerInput(invoker: FunctionInvoker, functionName: string, data: InvocationInput['data']): InvocationInput[] {
  const fn = invoker.functions().find((f) => f.name === functionName);
  if (!fn) throw new Error(`no function ${functionName}`);
  return [{ name: fn.triggerBindingName, data }];
}

function httpGet(url: string, params: Record<string, string> = {}) {
  return { http: { method: 'GET', url, headers: {}, query: {}, params } };
}

function bodyText(result: { returnValue?: unknown }): string {
  const http = (result.returnValue as { http: { body: { bytes: Uint8Array } } }).http;
  return Buffer.from(http.body.bytes).toString('utf8');
}

describe('worker emulation', () => {
  test('loads a CommonJS app and lists every registration with its trigger', async () => {
    const invoker = await loadApp(path.join(appsDir, 'http-basic'), quiet);
    const byName = new Map(invoker.functions().map((f) => [f.name, f]));
    expect([...byName.keys()]).toEqual(expect.arrayContaining(['hello', 'echo', 'secret', 'explode', 'double']));
    expect(byName.get('hello')?.triggerType).toBe('httpTrigger');
    expect(byName.get('hello')?.bindings[byName.get('hello')!.triggerBindingName]).toMatchObject({ route: 'hello/{name?}', methods: ['GET'] });
    expect(byName.get('double')?.triggerType).toBe('sampleTrigger');
  });

  test('invokes an HTTP handler through the app\'s programming model', async () => {
    const invoker = await loadApp(path.join(appsDir, 'http-basic'), quiet);
    const result = await invoker.invoke('hello', triggerInput(invoker, 'hello', httpGet('http://localhost/api/hello/Ada', { name: 'Ada' })));
    expect((result.returnValue as { http: { statusCode: string } }).http.statusCode).toBe('200');
    expect(bodyText(result)).toBe('Hello, Ada!');
  });

  test('returns a non-HTTP result as typed data, after postInvocation hooks changed it', async () => {
    const invoker = await loadApp(path.join(appsDir, 'http-basic'), quiet);
    const result = await invoker.invoke('double', triggerInput(invoker, 'double', { json: '21' }));
    expect(result.returnValue).toEqual({ int: 43 });
    expect(result.outputData).toEqual([]);
  });

  test('runs appStart before any invocation and lets preInvocation hooks replace inputs and handler', async () => {
    const invoker = await loadApp(path.join(appsDir, 'http-basic'), quiet);
    const result = await invoker.invoke('hooked', triggerInput(invoker, 'hooked', httpGet('http://localhost/api/hooked')));
    expect(JSON.parse(bodyText(result))).toEqual({ input: 'changed-GET', hookData: 'app-start-ran' });
  });

  test('rejects with InvocationFailure carrying the handler\'s error when the handler throws', async () => {
    const invoker = await loadApp(path.join(appsDir, 'http-basic'), quiet);
    const failure = await invoker.invoke('explode', triggerInput(invoker, 'explode', httpGet('http://localhost/api/explode'))).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(InvocationFailure);
    expect((failure as InvocationFailure).message).toBe('database password is hunter2');
    expect((failure as InvocationFailure).stackTrace).toContain('functions.js');
  });

  test('loads an ES module app whose main glob uses braces', async () => {
    const invoker = await loadApp(path.join(appsDir, 'esm-basic'), quiet);
    expect(invoker.functions().map((f) => f.name).sort()).toEqual(['greet', 'shout']);
    const result = await invoker.invoke('greet', triggerInput(invoker, 'greet', httpGet('http://localhost/greet/Bob', { name: 'Bob' })));
    expect(JSON.parse(bodyText(result))).toEqual({ greeting: 'Hi Bob' });
  });

  test('loading the same app twice in one process registers its functions again', async () => {
    const first = await loadApp(path.join(appsDir, 'esm-basic'), quiet);
    const second = await loadApp(path.join(appsDir, 'esm-basic'), quiet);
    expect(second.functions().length).toBe(first.functions().length);
    expect(second.functions().length).toBe(2);
  });

  test('fails to load an app whose main matches no file', async () => {
    const appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devhost-empty-'));
    fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ main: 'dist/*.js' }));
    await expect(loadApp(appDir, quiet)).rejects.toThrow('Worker was unable to load entry point "dist/*.js": Found zero files matching the supplied pattern');
  });

  test('names the entry point that failed to load, as the worker does, and logs its stack', async () => {
    const logs: string[] = [];
    const failure = loadApp(path.join(appsDir, 'load-error'), (_level, message) => logs.push(message));
    await expect(failure).rejects.toThrow('Worker was unable to load entry point "src/broken.js": REPORT_CONTAINER is not set');
    expect(logs.join('\n')).toMatch(/Error: REPORT_CONTAINER is not set\n\s+at .*broken\.js:5/);
  });

  test('names a main without glob syntax that does not exist', async () => {
    const appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devhost-missing-'));
    fs.writeFileSync(path.join(appDir, 'package.json'), JSON.stringify({ main: 'dist/index.js' }));
    await expect(loadApp(appDir, quiet)).rejects.toThrow('Worker was unable to load entry point "dist/index.js": File does not exist');
  });
});

describe('main glob', () => {
  test.each([
    ['dist/src/functions/*.js', 'dist/src/functions/a.js', true],
    ['dist/src/functions/*.js', 'dist/src/functions/sub/a.js', false],
    ['dist/**/*.js', 'dist/src/functions/sub/a.js', true],
    ['dist/**/*.js', 'dist/a.js', true],
    ['src/{a,b}.js', 'src/b.js', true],
    ['src/{a,b}.js', 'src/c.js', false],
    ['index.js', 'index.js', true],
    ['src/*.mjs', 'src/a.js', false],
  ])('%s matches %s: %s', (glob, file, expected) => {
    expect(globToRegExp(glob).test(file)).toBe(expected);
  });
});
