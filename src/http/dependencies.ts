import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import type { Dependencies } from '../composition.js';

/** What the HTTP handlers need from the composition root; tests pass real stores and fakes. */
export type HttpDependencies = Pick<Dependencies, 'settings' | 'store' | 'graph' | 'mailer' | 'rateLimiter' | 'adminDigest' | 'clock' | 'platformAuthenticationOn'>;

/** The part of the Durable client the handlers use, so tests can record the calls. */
export type OrchestrationClient = Pick<DurableClient, 'startNew' | 'raiseEvent' | 'getStatus'>;

/** Whether the instance still runs: it reads the events raised on it, and has steps left. */
export const isRunning = (orchestration: DurableOrchestrationStatus | undefined): boolean =>
  orchestration !== undefined && ['Running', 'Pending'].includes(orchestration.runtimeStatus);

/**
 * The instance's status, or undefined when the instance does not exist. The Durable client
 * signals "unknown instance" only by throwing with the extension's 404 in the message.
 */
export async function findOrchestration(client: OrchestrationClient, instanceId: string): Promise<DurableOrchestrationStatus | undefined> {
  try {
    return await client.getStatus(instanceId);
  } catch (error) {
    if (error instanceof Error && /\b404\b/.test(error.message)) return undefined;
    throw error;
  }
}
