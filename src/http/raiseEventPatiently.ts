import { setTimeout as sleep } from 'node:timers/promises';
import type { OrchestrationClient } from './dependencies.js';

/** Pauses between tries of a raise: a brief fault of the task hub's storage must not hold a request up. */
export const RAISE_RETRY_PAUSES_MS = [250, 1000];

/**
 * Raises an event whose outcome is already claimed in storage, trying again after short pauses.
 * False when every try failed: the claim still stands, and the instance applies it at its
 * deadline at the latest (or when the link is opened again and the event raised anew).
 */
export async function raiseEventPatiently(client: OrchestrationClient, instanceId: string, name: string, payload: unknown): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.raiseEvent(instanceId, name, payload);
      return true;
    } catch (error) {
      const pause = RAISE_RETRY_PAUSES_MS[attempt];
      if (pause === undefined) {
        console.error(`Raising ${name} on request ${instanceId} failed`, error);
        return false;
      }
      await sleep(pause);
    }
  }
}
