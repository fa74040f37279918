import { app } from '@azure/functions';
import { NO_ADMIN_ADDRESSES } from '../activities/adminAlerts.js';
import { getDependencies } from '../composition.js';

/**
 * Checks the configuration when the worker starts, so a missing or bad setting is in the log at
 * once, naming every problem, rather than only when the first request trips over it. The worker
 * keeps running: each invocation that needs the settings fails with the same message until they
 * are fixed, and the request form (which needs none) still answers. A setting that is valid but
 * leaves something out (admin alerts with no address) is a warning.
 */
app.hook.appStart(() => {
  try {
    const { settings } = getDependencies();
    if (settings.ADMIN_NOTIFICATION_EMAILS.length === 0) console.warn(NO_ADMIN_ADDRESSES);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
  }
});
