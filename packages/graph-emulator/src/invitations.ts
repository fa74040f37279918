import { randomBytes, randomUUID } from 'node:crypto';
import { GraphHttpError, resourceNotFound } from './graphHttp.js';
import type { InvitationResource, TenantDirectory, TenantUser } from './tenantDirectory.js';

/**
 * `POST /v1.0/invitations` with the validation Graph is documented or reported to apply
 * (graph-api.md §1, §2, §9). The emulated caller is always app-only, as the product is.
 */

/** The real text, curly apostrophes included (graph-api.md §1.4). */
export const EMAIL_NOT_ON_USER_MESSAGE =
  'The email you’re using to invite this user doesn’t match any emails on the user object. Please add this email to the user object and try again.';

/** Characters the invitation service refuses in the local part, plus quotes. */
const FORBIDDEN_LOCAL_CHARS = /[+#!$%&*=/?"'`]/;

function badRequest(message: string): GraphHttpError {
  return new GraphHttpError(400, 'BadRequest', message);
}

function isAcceptableInvitationEmail(email: string): boolean {
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1 || /\s/.test(email)) return false;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (FORBIDDEN_LOCAL_CHARS.test(local) || /^[.-]|[.-]$/.test(local)) return false;
  return /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(domain);
}

function optionalBoolean(body: Record<string, unknown>, name: string): boolean {
  const value = body[name];
  if (value === undefined || value === null) return false;
  if (typeof value !== 'boolean') throw badRequest(`Invalid value for property '${name}': a boolean is expected.`);
  return value;
}

function requiredString(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || !value.trim()) throw badRequest(`The property '${name}' is required.`);
  return value.trim();
}

/** A redemption link that looks like Graph's, with a fresh ticket each time. */
function redeemUrl(tenantId: string, invitationId: string): string {
  const inner = `https://invitations.microsoft.com/redeem/?tenant=${tenantId}&user=${invitationId}&ticket=${randomBytes(24).toString('base64url')}&ver=2.0`;
  return `https://login.microsoftonline.com/redeem?rd=${encodeURIComponent(inner)}`;
}

export interface PostedInvitation {
  invitation: InvitationResource;
  user: TenantUser;
}

/** Validates and applies an invitation; throws `GraphHttpError` with Graph's status and code. */
export function postInvitation(directory: TenantDirectory, body: unknown, now: Date): PostedInvitation {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('The request body must be an invitation object.');
  const input = body as Record<string, unknown>;
  const email = requiredString(input, 'invitedUserEmailAddress');
  const redirectUrl = requiredString(input, 'inviteRedirectUrl');
  const resetRedemption = optionalBoolean(input, 'resetRedemption');
  const sendInvitationMessage = optionalBoolean(input, 'sendInvitationMessage');
  if (!isAcceptableInvitationEmail(email)) throw badRequest('The Primary SMTP Address is an invalid value');

  const invitedUser = input.invitedUser as { id?: unknown } | undefined;
  const invitedUserId = typeof invitedUser?.id === 'string' && invitedUser.id ? invitedUser.id : undefined;
  if (resetRedemption && !invitedUserId) throw badRequest('The invitedUser/id relationship is required when resetRedemption is true.');

  let user: TenantUser;
  let status = 'PendingAcceptance';
  if (invitedUserId) {
    const found = directory.findUser(invitedUserId);
    if (!found) throw resourceNotFound(invitedUserId);
    user = found;
    if (resetRedemption && user.directoryRoles.length > 0) {
      throw new GraphHttpError(403, 'Forbidden', 'Insufficient privileges to reset the redemption status of a user who holds directory roles with an app-only token.');
    }
    const lower = email.toLowerCase();
    const onUser = user.mail?.toLowerCase() === lower || user.otherMails.some((m) => m.toLowerCase() === lower);
    if (!onUser) throw badRequest(EMAIL_NOT_ON_USER_MESSAGE);
    // Reset, or (for a member) the documented conversion to B2B: either way the user must redeem again.
    user.externalUserState = 'PendingAcceptance';
    user.externalUserStateChangeDateTime = now.toISOString();
  } else {
    const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
    if (directory.verifiedDomains.includes(domain)) {
      throw badRequest("This user cannot be invited because the domain of the user's email address is a verified domain of this directory.");
    }
    const existing = directory.allUsers().find((u) => u.mail?.toLowerCase() === email.toLowerCase());
    const displayName = typeof input.invitedUserDisplayName === 'string' ? input.invitedUserDisplayName : null;
    user = existing ?? directory.addInvitedGuest(email, displayName);
    if (existing?.externalUserState === 'Accepted') status = 'Completed';
  }

  const id = randomUUID();
  const messageInfo = (input.invitedUserMessageInfo ?? {}) as Record<string, unknown>;
  const invitation: InvitationResource = {
    id,
    inviteRedeemUrl: redeemUrl(directory.tenantId, id),
    invitedUserDisplayName: typeof input.invitedUserDisplayName === 'string' ? input.invitedUserDisplayName : null,
    invitedUserType: typeof input.invitedUserType === 'string' ? input.invitedUserType : 'Guest',
    invitedUserEmailAddress: email,
    sendInvitationMessage,
    resetRedemption,
    inviteRedirectUrl: redirectUrl,
    status,
    invitedUserMessageInfo: {
      messageLanguage: typeof messageInfo.messageLanguage === 'string' ? messageInfo.messageLanguage : null,
      customizedMessageBody: typeof messageInfo.customizedMessageBody === 'string' ? messageInfo.customizedMessageBody : null,
      // Graph echoes this empty placeholder even when no cc recipient was sent.
      ccRecipients: [{ emailAddress: { name: null, address: null } }],
    },
    invitedUser: { id: user.id, userPrincipalName: user.userPrincipalName },
  };
  directory.invitations.push(invitation);
  return { invitation, user };
}
