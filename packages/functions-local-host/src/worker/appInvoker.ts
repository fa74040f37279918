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
import type { AppRegistry, RegisteredCallback } from './appRegistry.js';

export type WorkerLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** Invokes a loaded app's functions with the worker's pipeline (`W/src/eventHandlers/InvocationHandler.ts`). */
export class AppInvoker implements FunctionInvoker {
  constructor(
    private readonly registry: AppRegistry,
    private readonly log: WorkerLog,
  ) {}

  get appDir(): string {
    return this.registry.appDir;
  }

  functions(): RegisteredFunction[] {
    return [...this.registry.functions.values()].map(({ metadata }) => {
      const bindings = metadata.bindings as Record<string, BindingInfo>;
      const [triggerBindingName, trigger] = Object.entries(bindings).find(([, binding]) => /trigger$/i.test(binding.type)) ?? [];
      if (!triggerBindingName || !trigger) {
        throw new Error(`Function "${metadata.name}" has no trigger binding.`);
      }
      return { name: metadata.name, bindings, triggerBindingName, triggerType: trigger.type };
    });
  }

  async invoke(functionName: string, inputData: InvocationInput[], triggerMetadata: Record<string, TypedData> = {}): Promise<InvocationResult> {
    const registered = this.registry.functions.get(functionName);
    if (!registered) {
      throw new Error(`The app has no function named "${functionName}".`);
    }
    try {
      return await this.run(registered, inputData, triggerMetadata);
    } catch (error) {
      if (error instanceof InvocationFailure) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new InvocationFailure(message, error instanceof Error ? error.stack : undefined);
    }
  }

  async terminate(): Promise<void> {
    await this.registry.runHooks('appTerminate', { hookData: this.registry.appLevelHookData, appHookData: this.registry.appHookData });
  }

  private async run(registered: RegisteredCallback, inputData: InvocationInput[], triggerMetadata: Record<string, TypedData>): Promise<InvocationResult> {
    const model = this.registry.programmingModel;
    if (!model) {
      throw new Error('The app did not set a programming model (is @azure/functions v4 loaded?).');
    }
    const { metadata } = registered;
    const invocationId = randomUUID();
    const coreContext = {
      invocationId,
      request: { invocationId, functionId: metadata.functionId || metadata.name, inputData, triggerMetadata },
      metadata: { ...metadata, name: metadata.name, bindings: metadata.bindings },
      state: undefined as string | undefined,
      log: (level: string, category: string, message: string) => this.writeLog(metadata.name, level, category, message),
    };
    const invocationModel = await model.getInvocationModel(coreContext);
    const { context, inputs } = await invocationModel.getArguments();

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

function toFailure(error: unknown): InvocationFailure {
  if (error instanceof Error) return new InvocationFailure(error.message, error.stack);
  return new InvocationFailure(String(error));
}
