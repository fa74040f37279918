import type { DeclineReason } from './request.js';

/** The directory facts that decide whether a user's sign-in email may be reset by this product. */
export interface DirectoryUserFacts {
  /** Graph returns null for some synced or legacy accounts; that is not a guest. */
  userType: string | null;
  accountEnabled: boolean;
}

/**
 * Whether this user may have their sign-in email reset; the decline reason when not.
 *
 * The order matters because only the first reason is recorded:
 * 1. `NotAGuest` first: a reset posted for a member silently converts it to B2B (graph-api.md
 *    §1.4), so a member must never go further, whatever else is true of it.
 * 2. `AccountDisabled` next: disabling is a deliberate admin action; handing the account to a new
 *    address would undo it, and the admin should see that reason rather than a role.
 * 3. `HasDirectoryRole` last: app-only resets fail for role holders, and privileged accounts
 *    deserve a manual process anyway.
 */
export function checkEligibility(user: DirectoryUserFacts, directoryRoles: string[]): DeclineReason | undefined {
  if ((user.userType ?? '').trim().toLowerCase() !== 'guest') return 'NotAGuest';
  if (!user.accountEnabled) return 'AccountDisabled';
  if (directoryRoles.length > 0) return 'HasDirectoryRole';
  return undefined;
}
