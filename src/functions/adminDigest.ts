import * as df from 'durable-functions';
import { createAdminDigestActivities } from '../activities/adminDigest.js';
import { getDependencies } from '../composition.js';
import { ADMIN_DIGEST_ACTIVITY, ADMIN_DIGEST_ORCHESTRATOR, adminDigestLoop } from '../workflow/adminDigestLoop.js';

/**
 * Registers the admins' digest loop and its activities. The loop is started by the handlers that
 * can lead to an admin alert (`ensureAdminDigestLoop`), not here: registrations run no code.
 */

df.app.orchestration(ADMIN_DIGEST_ORCHESTRATOR, adminDigestLoop);

let activities: ReturnType<typeof createAdminDigestActivities> | undefined;
const getActivities = () => (activities ??= createAdminDigestActivities(getDependencies()));

df.app.activity(ADMIN_DIGEST_ACTIVITY.nextAdminDigestAt, { handler: () => getActivities().nextAdminDigestAt() });
df.app.activity(ADMIN_DIGEST_ACTIVITY.sendAdminDigest, { handler: (until: string) => getActivities().sendAdminDigest(until) });
