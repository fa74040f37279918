import { loadSettings, type Settings } from './config/settings.js';
import type { GraphGateway } from './graph/graphGateway.js';
import { createMsGraphGateway } from './graph/msGraphGateway.js';
import { isPlatformAuthenticationOn } from './http/approverIdentity.js';
import { createMailer, type Mailer } from './mail/mailer.js';
import { createTableAdminDigest, type AdminDigest } from './store/adminDigest.js';
import { createTableRateLimiter, type RateLimiter } from './store/rateLimiter.js';
import type { RequestStore } from './store/requestStore.js';
import { createTableRequestStore } from './store/tableRequestStore.js';

/** Everything with I/O that handlers and activities need. Tests build their own. */
export interface Dependencies {
  settings: Settings;
  store: RequestStore;
  graph: GraphGateway;
  mailer: Mailer;
  rateLimiter: RateLimiter;
  adminDigest: AdminDigest;
  clock: () => Date;
  /** The platform's built-in authentication runs in front of the app (see `approverIdentity.ts`). */
  platformAuthenticationOn: boolean;
}

let dependencies: Dependencies | undefined;

/**
 * The one composition root: real back ends built from the validated settings, once per process.
 * Built lazily so that a bad configuration fails the first invocation with the full message
 * rather than the module load (which the Functions host reports less clearly).
 */
export function getDependencies(): Dependencies {
  if (!dependencies) {
    const settings = loadSettings();
    const graph = createMsGraphGateway(settings);
    dependencies = {
      settings,
      graph,
      store: createTableRequestStore(settings),
      mailer: createMailer(graph, settings),
      rateLimiter: createTableRateLimiter(settings),
      adminDigest: createTableAdminDigest(settings),
      clock: () => new Date(),
      platformAuthenticationOn: isPlatformAuthenticationOn(),
    };
  }
  return dependencies;
}
