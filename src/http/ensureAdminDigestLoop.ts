import type { InvocationContext } from '@azure/functions';
import { OrchestrationRuntimeStatus } from 'durable-functions';
import type { Settings } from '../config/settings.js';
import { ADMIN_DIGEST_INSTANCE_ID, ADMIN_DIGEST_ORCHESTRATOR } from '../workflow/adminDigestLoop.js';
import { findOrchestration, type OrchestrationClient } from './dependencies.js';

/** A loop in these states will send the next digest (a suspended one was stopped on purpose). */
const ALIVE: readonly OrchestrationRuntimeStatus[] = [
  OrchestrationRuntimeStatus.Running,
  OrchestrationRuntimeStatus.Pending,
  OrchestrationRuntimeStatus.ContinuedAsNew,
  OrchestrationRuntimeStatus.Suspended,
];

/**
 * Starts the admins' digest loop when `ADMIN_NOTIFICATIONS` asks for a digest and it does not run
 * (never started, or ended: failed or terminated). Called by the HTTP handlers that lead to admin
 * alerts: every request starts with a submission, so its loop runs before any of its alerts can be
 * recorded, and the owner's report records its alert itself. Activities have no Durable client.
 * The instance id is fixed, so two starts make one loop: the local host refuses to start a running
 * id (409), and in Azure a second start of the same id replaces the instance rather than adding one
 * (the digest itself is sent once per period either way, see `sendAdminDigest`).
 * A failure is logged, not the caller's problem: the next call tries again, and the loop's first
 * digest lists every alert recorded until then.
 */
export async function ensureAdminDigestLoop(client: OrchestrationClient, settings: Settings, log: Pick<InvocationContext, 'error'>): Promise<void> {
  if (settings.ADMIN_NOTIFICATIONS === 'each') return;
  const running = async () => {
    const status = await findOrchestration(client, ADMIN_DIGEST_INSTANCE_ID);
    return !!status && ALIVE.includes(status.runtimeStatus);
  };
  try {
    if (await running()) return;
    await client.startNew(ADMIN_DIGEST_ORCHESTRATOR, { instanceId: ADMIN_DIGEST_INSTANCE_ID }).catch(async (error: unknown) => {
      // Another start won the race in between.
      if (!(await running())) throw error;
    });
  } catch (error) {
    log.error('Could not start the admin digest loop; the next submission tries again.', error);
  }
}
