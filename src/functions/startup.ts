import { app } from '@azure/functions';
import { getDependencies } from '../composition.js';

/**
 * Checks the configuration when the worker starts, so a missing or bad setting is in the log at
 * once, naming every problem, rather than only when the first request trips over it. The worker
 * keeps running: each invocation that needs the settings fails with the same message until they
 * are fixed, and the request form (which needs none) still answers.
 */
app.hook.appStart(() => {
  try {
    getDependencies();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
  }
});
