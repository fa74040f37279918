import * as df from 'durable-functions';
import { createActivities, type Activities } from '../activities/createActivities.js';
import { getDependencies } from '../composition.js';
import { ACTIVITY, type ActivityName } from '../workflow/activityContract.js';
import { ORCHESTRATOR_NAME, RESET_RETRY_ORCHESTRATOR_NAME } from '../workflow/contract.js';
import { emailChangeOrchestrator } from '../workflow/emailChangeOrchestrator.js';
import { resetRetryOrchestrator } from '../workflow/resetRetryOrchestrator.js';

/**
 * Registers the orchestrators (the request's own, and an admin's retry of its reset) and the
 * activities they share. Dependencies are built on the first activity
 * invocation, not at load, so a bad configuration fails that invocation with the full message.
 */

df.app.orchestration(ORCHESTRATOR_NAME, emailChangeOrchestrator);
df.app.orchestration(RESET_RETRY_ORCHESTRATOR_NAME, resetRetryOrchestrator);

let activities: Activities | undefined;
const getActivities = (): Activities => (activities ??= createActivities(getDependencies()));

for (const name of Object.values(ACTIVITY) satisfies ActivityName[]) {
  df.app.activity(name, {
    handler: (input: unknown) => (getActivities()[name] as (payload: unknown) => Promise<unknown>)(input),
  });
}
