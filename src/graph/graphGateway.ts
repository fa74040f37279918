/**
 * The Microsoft Graph calls the product makes (DESIGN §5), behind one interface so activities
 * do not know about HTTP. Implemented by `msGraphGateway.ts` over `@microsoft/microsoft-graph-client`;
 * the same implementation talks to the local Graph emulator (only base URL and credential differ).
 */
export interface GraphGateway {
  /**
   * The user whose `mail` or `otherMails` equals the email (case-insensitive), with its directory
   * roles, read in the same call when Graph allows: how a guest is found by the address it signs in with.
   */
  findUserWithRolesByEmail(email: string): Promise<UserWithRoles | undefined>;
  /**
   * The user whose `mail` or sign-in name (UPN) is the address: how an address an admin configured
   * names a person. Never by `otherMails`, which anyone who may edit a user can set to any address.
   */
  findUserByMailOrUpn(address: string): Promise<DirectoryUser | undefined>;
  /** The user with its directory roles, read in the same call when Graph allows; undefined on 404. */
  getUserWithRoles(userId: string): Promise<UserWithRoles | undefined>;
  /** The user with its sponsors, read in the same call when Graph allows; undefined on 404. */
  getUserWithSponsors(userId: string): Promise<UserWithSponsors | undefined>;
  /** Users and groups sponsoring the guest. */
  getSponsors(userId: string): Promise<DirectoryPrincipal[]>;
  /** User members of a group (transitive). */
  getGroupMembers(groupId: string): Promise<DirectoryUser[]>;
  /** The user's manager, or undefined when Graph answers 404 (no manager). */
  getManager(userId: string): Promise<DirectoryUser | undefined>;
  getUser(userId: string): Promise<DirectoryUser | undefined>;
  /** PATCH /users/{id} { mail }. */
  updateMail(userId: string, mail: string | null): Promise<void>;
  /** POST /invitations with resetRedemption: true and invitedUser.id. */
  resetRedemption(input: ResetRedemptionInput): Promise<InvitationResult>;
  /** POST /users/{sender}/sendMail in MIME mode: a multipart/alternative message, text and HTML. */
  sendMail(message: MailMessage & { from: string }): Promise<void>;
}

export interface DirectoryUser {
  id: string;
  displayName: string;
  mail: string | null;
  otherMails: string[];
  userPrincipalName?: string;
  userType: 'Guest' | 'Member' | string;
  externalUserState?: string | null;
  creationType?: string | null;
  accountEnabled: boolean;
}

/** A user and the names of the directory roles it holds (empty when none). */
export type UserWithRoles = DirectoryUser & { directoryRoles: string[] };

export interface UserWithSponsors {
  user: DirectoryUser;
  sponsors: DirectoryPrincipal[];
}

export type DirectoryPrincipal =
  | ({ kind: 'user' } & DirectoryUser)
  | { kind: 'group'; id: string; displayName: string; mail: string | null };

export interface ResetRedemptionInput {
  userId: string;
  email: string;
  redirectUrl: string;
  sendInvitationMessage: boolean;
}

export interface InvitationResult {
  invitationId: string;
  inviteRedeemUrl: string;
  status: string;
}

/** A mail with its two alternative bodies: HTML, and the same content as plain text. */
export interface MailMessage {
  to: string[];
  subject: string;
  html: string;
  text: string;
}

/**
 * A Graph call that failed. `transient` faults (429, 500, 502, 503, 504, network, and the
 * invitation 400 that can follow a fresh `mail` PATCH) may be retried by the orchestrator (the
 * client already retried 429, 503, 504 and network failures); the rest are final.
 */
export class GraphRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | undefined,
    readonly transient: boolean,
  ) {
    super(message);
    this.name = 'GraphRequestError';
  }
}
