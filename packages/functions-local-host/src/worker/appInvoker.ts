import { randomUUID } from 'node:crypto';
import {
  InvocationFailure,
  type BindingInfo,
  type FunctionInvoker,
  type InvocationInput,
  type InvocationResult,
  type RegisteredFunction,
  type TypedData,
} from '../contracts.js';
import { bindingUseError, unsupportedBindings, type UnsupportedBinding } from '../support.js';
import type { AppRegistry, CoreFunctionMetadata, RegisteredCallback } from './appRegistry.js';

export type WorkerLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** Invokes a loaded app's functions with the worker's pipeline (`W/src/eventHandlers/InvocationHandler.ts`). */
export class AppInvoker implements FunctionInvoker {
  constructor(
    private readonly registry: AppRegistry,
    private readonly log: WorkerLog,
    readonly httpUri?: string,
  ) {}

  get appDir(): string {
    return this.registry.appDir;
  }

  functions(): RegisteredFunction[] {
    return [...this.registry.functions.values()].map(({ metadata }) => registeredFunction(metadata));
  }

  async invoke(functionName: string, inputData: InvocationInput[], triggerMetadata: Record<string, TypedData> = {}, invocationId: string = randomUUID()): Promise<InvocationResult> {
    const registered = this.registry.functions.get(functionName);
    if (!registered) {
      throw new Error(`The app has no function named "${functionName}".`);
    }
    try {
      return await this.run(registered, inputData, triggerMetadata, invocationId);
    } catch (error) {
      if (error instanceof InvocationFailure) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new InvocationFailure(message, error instanceof Error ? error.stack : undefined);
    }
  }

  async terminate(): Promise<void> {
    await this.registry.runHooks('appTerminate', { hookData: this.registry.appLevelHookData, appHookData: this.registry.appHookData });
  }

  private async run(registered: RegisteredCallback, inputData: InvocationInput[], triggerMetadata: Record<string, TypedData>, invocationId: string): Promise<InvocationResult> {
    const model = this.registry.programmingModel;
    if (!model) {
      throw new Error('The app did not set a programming model (is @azure/functions v4 loaded?).');
    }
    const { metadata } = registered;
    const coreContext = {
      invocationId,
      request: { invocationId, functionId: metadata.functionId || metadata.name, inputData, triggerMetadata },
      metadata: { ...metadata, name: metadata.name, bindings: metadata.bindings },
      state: undefined as string | undefined,
      log: (level: string, category: string, message: string) => this.writeLog(metadata.name, level, category, message),
    };
    const invocationModel = await model.getInvocationModel(coreContext);
    const { context, inputs } = await invocationModel.getArguments();
    const guard = new UnsupportedBindingGuard(registeredFunction(metadata), context);

    const hookData: Record<string, unknown> = {};
    const preInvocation = {
      hookData,
      appHookData: this.registry.appHookData,
      invocationContext: context,
      inputs,
      functionCallback: registered.callback,
    };
    coreContext.state = 'preInvocationHooks';
    await this.registry.runHooks('preInvocation', preInvocation);

    coreContext.state = 'invocation';
    const postInvocation = {
      hookData,
      appHookData: this.registry.appHookData,
      invocationContext: context,
      inputs: preInvocation.inputs,
      result: undefined as unknown,
      error: undefined as unknown,
    };
    try {
      postInvocation.result = await invocationModel.invokeFunction(context, preInvocation.inputs, preInvocation.functionCallback);
    } catch (error) {
      postInvocation.error = error;
    }

    coreContext.state = 'postInvocationHooks';
    await this.registry.runHooks('postInvocation', postInvocation);
    if (postInvocation.error !== undefined && postInvocation.error !== null) {
      throw toFailure(postInvocation.error);
    }

    const response = await invocationModel.getResponse(context, postInvocation.result);
    guard.check(response);
    return {
      returnValue: response.returnValue as TypedData | null | undefined,
      outputData: (response.outputData ?? []) as InvocationInput[],
    };
  }

  private writeLog(functionName: string, level: string, category: string, message: string): void {
    if (level === 'debug' || level === 'trace') return;
    const workerLevel = level === 'error' || level === 'critical' ? 'error' : level === 'warning' ? 'warn' : 'info';
    this.log(workerLevel, `[${functionName}]${category === 'system' ? ' (system)' : ''} ${message}`);
  }
}

function registeredFunction(metadata: CoreFunctionMetadata): RegisteredFunction {
  const bindings = metadata.bindings as Record<string, BindingInfo>;
  const [triggerBindingName, trigger] = Object.entries(bindings).find(([, binding]) => /trigger$/i.test(binding.type)) ?? [];
  if (!triggerBindingName || !trigger) {
    throw new Error(`Function "${metadata.name}" has no trigger binding.`);
  }
  return { name: metadata.name, bindings, triggerBindingName, triggerType: trigger.type };
}

/**
 * Makes using a binding the host does not run fail the invocation instead of passing silently:
 * reading such an input throws (the host has no value for it) and, should the handler catch that,
 * the invocation still fails; a value set on such an output fails the invocation once the handler
 * returned, as a failed write does in Azure.
 */
class UnsupportedBindingGuard {
  private readonly unsupported: Map<string, UnsupportedBinding>;
  private readonly read: UnsupportedBinding[] = [];

  constructor(
    private readonly fn: RegisteredFunction,
    context: unknown,
  ) {
    this.unsupported = new Map(unsupportedBindings(fn).map((binding) => [binding.name, binding]));
    const extraInputs = (context as { extraInputs?: { get?: (inputOrName: unknown) => unknown } } | undefined)?.extraInputs;
    const get = extraInputs?.get;
    if (!extraInputs || typeof get !== 'function' || ![...this.unsupported.values()].some((b) => b.direction === 'in')) return;
    extraInputs.get = (inputOrName: unknown) => {
      const name = typeof inputOrName === 'string' ? inputOrName : (inputOrName as { name?: unknown } | undefined)?.name;
      const binding = typeof name === 'string' ? this.unsupported.get(name) : undefined;
      if (binding?.direction === 'in') {
        this.read.push(binding);
        throw new Error(bindingUseError(fn.name, binding));
      }
      return get.call(extraInputs, inputOrName);
    };
  }

  check(response: { returnValue?: unknown; outputData?: unknown[] | null }): void {
    const [readBinding] = this.read;
    if (readBinding) throw new InvocationFailure(bindingUseError(this.fn.name, readBinding));
    const written = (response.outputData ?? []) as InvocationInput[];
    for (const output of written) {
      const binding = this.unsupported.get(output.name);
      if (binding && output.data !== undefined && output.data !== null) throw new InvocationFailure(bindingUseError(this.fn.name, binding));
    }
    const returned = this.unsupported.get('$return');
    if (returned && response.returnValue !== undefined && response.returnValue !== null) throw new InvocationFailure(bindingUseError(this.fn.name, returned));
  }
}

function toFailure(error: unknown): InvocationFailure {
  if (error instanceof Error) return new InvocationFailure(error.message, error.stack);
  return new InvocationFailure(String(error));
}
