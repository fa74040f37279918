import { createEasyAuthEmulation, type EasyAuthEmulation, type SignInUser } from './easyAuth.js';
import type { GraphEmulator } from './graphEmulator.js';

/**
 * The sign-in emulation over the Graph emulator's tenant: whoever is in the emulated directory
 * at the moment can sign in. `tenantId` is the tenant the app checks the principal against
 * (`ADMIN_TENANT_ID`), as Entra would put its own id in the token; `appRoles` are the roles the
 * sign-in page offers (the app's `ADMIN_ROLE`).
 */
export function createTenantEasyAuth(emulator: GraphEmulator, tenantId: string, appRoles: readonly string[] = []): EasyAuthEmulation {
  return createEasyAuthEmulation({
    tenantId,
    appRoles,
    users: () =>
      emulator.snapshot().users.map(
        (u): SignInUser => ({
          id: String(u.id),
          displayName: String(u.displayName),
          mail: typeof u.mail === 'string' ? u.mail : null,
          userPrincipalName: String(u.userPrincipalName),
          accountEnabled: u.accountEnabled !== false,
        }),
      ),
  });
}
