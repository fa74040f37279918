import type { HttpRequest, HttpResponse } from '@azure/functions';
import { approverSignInPage as signInOfferPage } from '../templates/pages.js';
import type { AdminIdentity } from './adminAuth.js';
import { signedInUser } from './approverIdentity.js';
import type { HttpDependencies } from './dependencies.js';
import { pageResponse } from './security.js';

/**
 * An admin signed in to the console: always with an object id, which forms are bound to. Named
 * as the admin API names a token's holder: the person's name, and the principal name (UPN) as
 * the user name.
 */
export type ConsoleAdmin = AdminIdentity & { objectId: string };

/**
 * Who may use the admin console: a user signed in with Entra ID through the platform's
 * authentication (the same session approvers have), holding the admin app role (`ADMIN_ROLE`,
 * a `roles` claim of the sign-in). Checked on every console route. The console never reads a
 * bearer token and the JSON API never reads this session, so neither opens the other: the API
 * stays free of cookies (no CSRF), and the console's posts carry an anti-forgery value.
 *
 * Anyone else gets a page instead: signed out, 401 offering sign-in that comes back to the page;
 * signed in without the role, 403 saying so, with a way to sign in as someone else.
 */
export function consoleAdminOf(request: HttpRequest, deps: Pick<HttpDependencies, 'settings' | 'platformAuthenticationOn'>): { admin: ConsoleAdmin } | { refusal: HttpResponse } {
  // In Azure the platform also turns a valid bearer token into principal headers: a request that
  // carries one is an API call, never a console session, whatever the headers say.
  const bearerCall = request.headers.has('authorization');
  const user = bearerCall ? undefined : signedInUser(request, deps.settings.ADMIN_TENANT_ID, deps.platformAuthenticationOn);
  const url = new URL(request.url);
  const here = `${url.pathname}${url.search}`;
  if (!user) {
    return {
      refusal: pageResponse(
        401,
        signInOfferPage({
          title: 'Sign in to the admin console',
          message: `The admin console is for administrators of this service, signed in with their work account and assigned the ${deps.settings.ADMIN_ROLE} role.`,
          link: { href: `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(here)}`, label: 'Sign in' },
        }),
      ),
    };
  }
  if (!user.roles.includes(deps.settings.ADMIN_ROLE)) {
    return {
      refusal: pageResponse(
        403,
        signInOfferPage({
          title: 'Not an administrator',
          message: `You are signed in as ${user.name}, who is not assigned the ${deps.settings.ADMIN_ROLE} role. Ask an administrator of the tenant to assign it, or sign in as someone who has it.`,
          link: { href: `/.auth/logout?post_logout_redirect_uri=${encodeURIComponent(here)}`, label: 'Sign out, then sign in as someone else' },
        }),
      ),
    };
  }
  return { admin: { name: user.displayName ?? user.name, username: user.name, objectId: user.objectId } };
}
