import { createDevEndpoints } from './devEndpoints.js';
import { createDevTokenIssuer, type DevTokenIssuer } from './devTokenIssuer.js';
import type { EasyAuthEmulation } from './easyAuth.js';
import { openEmulatorState } from './emulatorState.js';
import { createGraphEmulator, type GraphEmulator, type GraphEmulatorOptions } from './graphEmulator.js';
import type { RouteHandler } from './nodeHttp.js';
import { createTenantEasyAuth } from './tenantSignIn.js';

/**
 * The whole emulated tenant as one set of routes: Graph (`/v1.0/...`), the sign-in emulation
 * (`/.auth/...`, principal headers), the dev endpoints (`/_dev/...`: outbox, tenant, faults,
 * tokens, sessions) and, with a state file, the tenant and outbox kept across restarts. Mount the
 * routes on any Node HTTP server: the Functions local host's (`extraRoutes`), or the emulator's
 * own (`serveRoutes`).
 */

export interface EmulatedTenantOptions {
  /** The tenant id the app checks in sign-ins and tokens (the app's `ADMIN_TENANT_ID`). */
  tenantId: string;
  /** `iss` and `aud` of the admin tokens `POST /_dev/token` issues (the app's issuer and audience). */
  tokenIssuer: string;
  tokenAudience: string;
  /** App roles the sign-in page offers to sign in with (the app's `ADMIN_ROLE`). */
  appRoles?: readonly string[];
  /** Keeps the tenant and outbox in this JSON file across restarts; in memory without it. */
  stateFile?: string;
  graph?: GraphEmulatorOptions;
}

export interface EmulatedTenant {
  emulator: GraphEmulator;
  tokenIssuer: DevTokenIssuer;
  easyAuth: EasyAuthEmulation;
  /** In order: sign-in emulation, state saving, dev endpoints, Graph. */
  routes: RouteHandler[];
  /** Writes the state file now (no-op in memory); call it on shutdown. */
  save(): void;
}

export function createEmulatedTenant(options: EmulatedTenantOptions): EmulatedTenant {
  const emulator = createGraphEmulator(options.graph);
  const state = options.stateFile ? openEmulatorState(emulator, options.stateFile) : undefined;
  const tokenIssuer = createDevTokenIssuer({ issuer: options.tokenIssuer, audience: options.tokenAudience, tenantId: options.tenantId });
  const easyAuth = createTenantEasyAuth(emulator, options.tenantId, options.appRoles);
  const devEndpoints = createDevEndpoints({ emulator, tokenIssuer, easyAuth });
  return {
    emulator,
    tokenIssuer,
    easyAuth,
    routes: [easyAuth.handle, ...(state ? [state.handle] : []), devEndpoints, emulator.handle],
    save: () => state?.save(),
  };
}
