/**
 * `@guest-email-change/graph-emulator`: an emulated Entra tenant behind Microsoft Graph, with an
 * outbox, fault injection, a dev token issuer, App Service Authentication sign-in emulation and
 * the `/_dev` endpoints. See README.md.
 */
export { createEmulatedTenant, type EmulatedTenant, type EmulatedTenantOptions } from './emulatedTenant.js';
export { createGraphEmulator, type GraphEmulator, type GraphEmulatorOptions, type GraphEmulatorState } from './graphEmulator.js';
export { createDevEndpoints, type DevEndpointsOptions } from './devEndpoints.js';
export { createDevTokenIssuer, type DevTokenClaims, type DevTokenIssuer, type DevTokenIssuerOptions } from './devTokenIssuer.js';
export { createEasyAuthEmulation, redirectTarget, SESSION_COOKIE, type EasyAuthEmulation, type EasyAuthOptions, type SignInUser } from './easyAuth.js';
export { createTenantEasyAuth } from './tenantSignIn.js';
export { openEmulatorState, type EmulatorState } from './emulatorState.js';
export { EMAIL_NOT_ON_USER_MESSAGE } from './invitations.js';
export { GRAPH_JSON, GraphHttpError } from './graphHttp.js';
export { decodeMimeBody, parseMimeMail, type ParsedMimeMail } from './mimeMessage.js';
export { parseFilter, type FilterPredicate } from './odataFilter.js';
export type { GraphCall } from './callLog.js';
export type { GraphFault } from './faults.js';
export type { OutboxMessage } from './outbox.js';
export type { NewTenantUser, TenantSeed } from './tenantSeed.js';
export { TenantInputError } from './tenantDirectory.js';
export { serveRoutes, type RunningServer } from './server.js';
export type { RouteHandler } from './nodeHttp.js';
