/**
 * `@guest-email-change/functions-local-host`: runs any Node.js v4-programming-model Azure
 * Functions app (HTTP triggers and Durable Functions) on one local port, with Azurite. See README.md.
 */
export { startHost, type HostLog, type HostOptions, type RunningHost } from './host.js';
export { TimeSkippingClock, type DurableClock } from './durable/clock.js';
export { AZURITE_ACCOUNT, AZURITE_KEY, connectionStringFor, freePort, startAzurite, type AzuriteOptions, type AzuriteProcess } from './azurite.js';
export { InvocationFailure, type FunctionInvoker, type InvocationInput, type InvocationResult, type RegisteredFunction, type RouteHandler, type TypedData } from './contracts.js';
