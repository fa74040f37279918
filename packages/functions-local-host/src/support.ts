import type { BindingInfo, RegisteredFunction } from './contracts.js';

/**
 * What the local host runs, and the words it uses for the rest. It runs HTTP triggers, Durable
 * orchestrations and activities, the `durableClient` input and HTTP responses; an app may register
 * anything else (timers, queues, entities, blob outputs...), which Azure would run. The host says so
 * once per function when it loads the app, and fails an invocation that uses such a binding rather
 * than dropping what it wrote.
 */

const RUN_TRIGGERS = new Set(['httptrigger', 'orchestrationtrigger', 'activitytrigger']);
const INPUTS = new Set(['durableclient', 'orchestrationclient']);

export interface UnsupportedBinding {
  name: string;
  binding: BindingInfo;
  /** `in` for inputs, `out` for outputs (an `inout` binding is both, reported as an output). */
  direction: 'in' | 'out';
}

/** Whether the host ever invokes this function (its trigger is one the host serves). */
export function isTriggerRun(fn: RegisteredFunction): boolean {
  return RUN_TRIGGERS.has(fn.triggerType.toLowerCase());
}

/** The function's bindings other than its trigger that the host does not provide or write. */
export function unsupportedBindings(fn: RegisteredFunction): UnsupportedBinding[] {
  const httpTriggered = fn.triggerType.toLowerCase() === 'httptrigger';
  const unsupported: UnsupportedBinding[] = [];
  for (const [name, binding] of Object.entries(fn.bindings)) {
    if (name === fn.triggerBindingName) continue;
    const type = binding.type.toLowerCase();
    if (binding.direction === 'in') {
      if (!INPUTS.has(type)) unsupported.push({ name, binding, direction: 'in' });
    } else if (!(httpTriggered && type === 'http')) {
      unsupported.push({ name, binding, direction: 'out' });
    }
  }
  return unsupported;
}

/** Properties that tell a developer which binding of a type is meant. */
const IDENTIFYING = ['path', 'queueName', 'tableName', 'databaseName', 'containerName', 'topicName', 'subscriptionName', 'eventHubName', 'commandText', 'schedule'];

function identifying(binding: BindingInfo): string[] {
  return IDENTIFYING.filter((property) => typeof binding[property] === 'string').map((property) => `${property} '${String(binding[property])}'`);
}

function details(binding: BindingInfo): string {
  return [binding.type, ...identifying(binding)].join(', ');
}

/** e.g. `output binding 'storageBlobOutput1f2e' (storageBlob, path 'reports/{name}.json')`. */
export function describeBinding(unsupported: UnsupportedBinding): string {
  const kind = unsupported.name === '$return' ? 'return binding' : `${unsupported.direction === 'in' ? 'input' : 'output'} binding '${unsupported.name}'`;
  return `${kind} (${details(unsupported.binding)})`;
}

/** The one line the host logs at load for a function it does not fully run, or nothing. */
export function loadWarning(fn: RegisteredFunction): string | undefined {
  const trigger = fn.bindings[fn.triggerBindingName];
  if (fn.triggerType.toLowerCase() === 'entitytrigger') {
    return `Function '${fn.name}': Durable entities are not supported by the local host; this entity never runs, and an orchestration that calls or signals an entity fails.`;
  }
  if (!isTriggerRun(fn)) {
    const about = trigger ? identifying(trigger) : [];
    return `Function '${fn.name}': trigger '${fn.triggerType}'${about.length > 0 ? ` (${about.join(', ')})` : ''} is not supported by the local host; the function never runs.`;
  }
  const bindings = unsupportedBindings(fn);
  if (bindings.length === 0) return undefined;
  const sets = bindings.some((b) => b.direction === 'out');
  const reads = bindings.some((b) => b.direction === 'in');
  const it = bindings.length === 1 ? 'it' : 'one';
  const consequence =
    sets && reads ? `an invocation that sets such an output or reads such an input fails` : sets ? `an invocation that sets ${it} fails (nothing is written)` : `an invocation that reads ${it} fails (no value is provided)`;
  return `Function '${fn.name}': ${bindings.map(describeBinding).join(', ')} ${bindings.length === 1 ? 'is' : 'are'} not supported by the local host; ${consequence}.`;
}

/** The failure of an invocation that used an unsupported binding. */
export function bindingUseError(functionName: string, unsupported: UnsupportedBinding): string {
  const what = unsupported.direction === 'in' ? 'it cannot provide the value the function read' : 'it did not write the value the function set';
  return `Function '${functionName}': ${describeBinding(unsupported)} is not supported by the local host; ${what}.`;
}
