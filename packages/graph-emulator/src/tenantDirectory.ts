import { createHash, randomUUID } from 'node:crypto';
import { newTenantUserSchema, type NewTenantUser, type TenantSeed } from './tenantSeed.js';

/**
 * The emulated tenant's directory: users, groups and the invitations posted against it. Holds
 * what the emulated Graph routes read and change, and renders objects in Graph's shapes.
 */

export interface TenantUser {
  id: string;
  displayName: string;
  mail: string | null;
  otherMails: string[];
  userPrincipalName: string;
  userType: 'Guest' | 'Member';
  externalUserState: string | null;
  externalUserStateChangeDateTime: string | null;
  creationType: string | null;
  accountEnabled: boolean;
  jobTitle: string | null;
  sponsorIds: string[];
  managerId: string | null;
  directoryRoles: string[];
  mailboxEnabled: boolean;
}

export interface TenantGroup {
  id: string;
  displayName: string;
  mail: string | null;
  mailNickname: string;
  mailEnabled: boolean;
  securityEnabled: boolean;
  memberIds: string[];
}

/** An invitation as Graph returns it (graph-api.md §1.2). */
export type InvitationResource = Record<string, unknown> & { id: string };

export interface TenantDirectoryState {
  users: TenantUser[];
  groups: TenantGroup[];
  invitations: InvitationResource[];
}

/** Bad input for `addUser`; the dev endpoint answers 400 with the message. */
export class TenantInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TenantInputError';
  }
}

/** Users' default property set on GET /users/{id} without `$select` (graph-api.md §3). */
const DEFAULT_USER_PROPERTIES = ['businessPhones', 'displayName', 'givenName', 'id', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName'];

/** Built-in role template ids, so role objects look like the real ones. */
const ROLE_TEMPLATE_IDS: Record<string, string> = {
  'global administrator': '62e90394-69f5-4237-9190-012177145e10',
  'user administrator': 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  'helpdesk administrator': '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  'guest inviter': '95e79109-95c0-4d8e-aee3-d01accf2d47b',
  'directory readers': '88d8e3e3-8f55-4a1e-953a-9b9898b8876b',
  'security reader': '5d6b6bb7-de71-4623-b4af-96380a352509',
};

/** A stable GUID derived from text, so role objects keep their ids across restarts. */
function guidFrom(text: string): string {
  const hex = createHash('sha1').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export class TenantDirectory {
  readonly tenantId: string;
  readonly tenantDisplayName: string;
  readonly initialDomain: string;
  readonly verifiedDomains: string[];
  private readonly users = new Map<string, TenantUser>();
  private readonly groups = new Map<string, TenantGroup>();
  readonly invitations: InvitationResource[] = [];

  constructor(seed: TenantSeed, private readonly clock: () => Date) {
    this.tenantId = seed.tenant.id;
    this.tenantDisplayName = seed.tenant.displayName;
    this.initialDomain = seed.tenant.initialDomain.toLowerCase();
    this.verifiedDomains = seed.tenant.verifiedDomains.map((d) => d.toLowerCase());
    for (const group of seed.groups) {
      this.groups.set(group.id.toLowerCase(), {
        id: group.id,
        displayName: group.displayName,
        mail: group.mail,
        mailNickname: group.mailNickname ?? group.displayName.replace(/[^A-Za-z0-9]/g, ''),
        mailEnabled: group.mailEnabled,
        securityEnabled: group.securityEnabled,
        memberIds: group.members,
      });
    }
    for (const user of seed.users) {
      const guest = user.userType === 'Guest';
      this.users.set(user.id.toLowerCase(), {
        id: user.id,
        displayName: user.displayName,
        mail: user.mail,
        otherMails: user.otherMails,
        userPrincipalName: user.userPrincipalName ?? this.principalNameFor(user.mail ?? `${user.id}@${this.initialDomain}`, user.userType),
        userType: user.userType,
        externalUserState: user.externalUserState !== undefined ? user.externalUserState : guest ? 'Accepted' : null,
        externalUserStateChangeDateTime: guest ? this.clock().toISOString() : null,
        creationType: user.creationType !== undefined ? user.creationType : guest ? 'Invitation' : null,
        accountEnabled: user.accountEnabled,
        jobTitle: user.jobTitle,
        sponsorIds: user.sponsors,
        managerId: user.manager ?? null,
        directoryRoles: user.directoryRoles,
        mailboxEnabled: user.mailbox ?? (!guest && user.mail !== null),
      });
    }
    const problems = [...this.users.values()].flatMap((u) => this.referenceProblems(u.sponsorIds, u.managerId ?? undefined));
    for (const group of this.groups.values()) {
      for (const member of group.memberIds) if (!this.findPrincipal(member)) problems.push(`group ${group.id} member ${member} does not exist`);
    }
    if (problems.length) throw new TenantInputError(`Invalid tenant seed: ${problems.join('; ')}`);
  }

  /** Guests get `alice_fabrikam.com#EXT#@contoso.onmicrosoft.com`; members keep a verified-domain mail. */
  private principalNameFor(mail: string, userType: 'Guest' | 'Member'): string {
    const [local, domain] = mail.toLowerCase().split('@');
    if (userType === 'Guest') return `${local}_${domain}#EXT#@${this.initialDomain}`;
    return this.verifiedDomains.includes(domain) ? mail.toLowerCase() : `${local}@${this.initialDomain}`;
  }

  private referenceProblems(sponsorIds: string[], managerId: string | undefined): string[] {
    const problems = sponsorIds.filter((id) => !this.findPrincipal(id)).map((id) => `sponsor ${id} is not a user or group of the tenant`);
    if (managerId !== undefined && !this.findUser(managerId)) problems.push(`manager ${managerId} is not a user of the tenant`);
    return problems;
  }

  /** By object id or user principal name, case-insensitive, as `/users/{id | userPrincipalName}`. */
  findUser(idOrPrincipalName: string): TenantUser | undefined {
    const key = idOrPrincipalName.toLowerCase();
    return this.users.get(key) ?? [...this.users.values()].find((u) => u.userPrincipalName.toLowerCase() === key);
  }

  findGroup(id: string): TenantGroup | undefined {
    return this.groups.get(id.toLowerCase());
  }

  findPrincipal(id: string): TenantUser | TenantGroup | undefined {
    return this.findUser(id) ?? this.findGroup(id);
  }

  allUsers(): TenantUser[] {
    return [...this.users.values()];
  }

  /** Whether another object already uses the address as its `mail` (proxy addresses are unique). */
  mailTakenByOther(mail: string, exceptId: string): boolean {
    const lower = mail.toLowerCase();
    const holders = [...this.users.values(), ...this.groups.values()].filter((o) => o.id !== exceptId);
    return holders.some((o) => o.mail?.toLowerCase() === lower);
  }

  /** Adds a user the way an admin would (guests as redeemed invitees); the input is validated. */
  addUser(input: NewTenantUser): TenantUser {
    const parsed = newTenantUserSchema.safeParse(input);
    if (!parsed.success) {
      throw new TenantInputError(parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    }
    const data = parsed.data;
    const id = randomUUID();
    const problems = this.referenceProblems(data.sponsors ?? [], data.manager);
    if (this.mailTakenByOther(data.mail, id)) problems.push(`mail ${data.mail} is already used by another object`);
    if (problems.length) throw new TenantInputError(problems.join('; '));
    const guest = data.userType === 'Guest';
    const user: TenantUser = {
      id,
      displayName: data.displayName,
      mail: data.mail,
      otherMails: data.otherMails ?? [],
      userPrincipalName: this.principalNameFor(data.mail, data.userType),
      userType: data.userType,
      externalUserState: guest ? 'Accepted' : null,
      externalUserStateChangeDateTime: guest ? this.clock().toISOString() : null,
      creationType: guest ? 'Invitation' : null,
      accountEnabled: data.accountEnabled ?? true,
      jobTitle: null,
      sponsorIds: data.sponsors ?? [],
      managerId: data.manager ?? null,
      directoryRoles: data.directoryRoles ?? [],
      mailboxEnabled: !guest,
    };
    this.users.set(id, user);
    return user;
  }

  /** Creates a guest for a plain (non-reset) invitation to an address the tenant does not know. */
  addInvitedGuest(email: string, displayName: string | null): TenantUser {
    const user = this.addUser({ displayName: displayName ?? email, mail: email, userType: 'Guest' });
    user.externalUserState = 'PendingAcceptance';
    return user;
  }

  /** Every user property the emulator knows, in Graph's shape. */
  userResource(user: TenantUser): Record<string, unknown> {
    return {
      id: user.id,
      businessPhones: [],
      displayName: user.displayName,
      givenName: null,
      jobTitle: user.jobTitle,
      mail: user.mail,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: null,
      surname: null,
      userPrincipalName: user.userPrincipalName,
      otherMails: [...user.otherMails],
      userType: user.userType,
      externalUserState: user.externalUserState,
      externalUserStateChangeDateTime: user.externalUserStateChangeDateTime,
      creationType: user.creationType,
      accountEnabled: user.accountEnabled,
    };
  }

  /** The default property set, returned when a call has no `$select`. */
  defaultUserResource(user: TenantUser): Record<string, unknown> {
    const full = this.userResource(user);
    return Object.fromEntries(DEFAULT_USER_PROPERTIES.map((p) => [p, full[p]]));
  }

  groupResource(group: TenantGroup): Record<string, unknown> {
    return {
      id: group.id,
      displayName: group.displayName,
      mail: group.mail,
      mailEnabled: group.mailEnabled,
      mailNickname: group.mailNickname,
      securityEnabled: group.securityEnabled,
    };
  }

  /** Groups the user is a direct member of (for `memberOf`). */
  groupsWithMember(userId: string): TenantGroup[] {
    const id = userId.toLowerCase();
    return [...this.groups.values()].filter((g) => g.memberIds.some((m) => m.toLowerCase() === id));
  }

  directoryRoleResource(name: string): Record<string, unknown> {
    const templateId = ROLE_TEMPLATE_IDS[name.toLowerCase()] ?? guidFrom(`roleTemplate:${name.toLowerCase()}`);
    return {
      '@odata.type': '#microsoft.graph.directoryRole',
      id: guidFrom(`role:${this.tenantId}:${name.toLowerCase()}`),
      displayName: name,
      description: null,
      roleTemplateId: templateId,
    };
  }

  /** User members of a group, following nested groups once each. */
  transitiveUserMembers(group: TenantGroup, seen = new Set<string>()): TenantUser[] {
    seen.add(group.id);
    const members: TenantUser[] = [];
    for (const id of group.memberIds) {
      const user = this.findUser(id);
      if (user) {
        if (!members.some((m) => m.id === user.id)) members.push(user);
        continue;
      }
      const nested = this.findGroup(id);
      if (nested && !seen.has(nested.id)) {
        for (const u of this.transitiveUserMembers(nested, seen)) if (!members.some((m) => m.id === u.id)) members.push(u);
      }
    }
    return members;
  }

  /** Everything the directory holds, for the local host to persist across restarts. */
  exportState(): TenantDirectoryState {
    return structuredClone({ users: this.allUsers(), groups: [...this.groups.values()], invitations: this.invitations });
  }

  /** Replaces the directory's contents with a state from `exportState`. */
  importState(state: TenantDirectoryState): void {
    this.users.clear();
    this.groups.clear();
    for (const user of structuredClone(state.users)) this.users.set(user.id.toLowerCase(), user);
    for (const group of structuredClone(state.groups)) this.groups.set(group.id.toLowerCase(), group);
    this.invitations.splice(0, this.invitations.length, ...structuredClone(state.invitations));
  }

  /** A user as `/_dev/tenant.json` shows it: Graph's properties plus the emulator's relations. */
  userSnapshot(user: TenantUser): Record<string, unknown> {
    return {
      ...this.userResource(user),
      sponsors: [...user.sponsorIds],
      manager: user.managerId,
      directoryRoles: [...user.directoryRoles],
    };
  }

  snapshot(): { users: Record<string, unknown>[]; groups: Record<string, unknown>[]; invitations: InvitationResource[] } {
    return {
      users: this.allUsers().map((u) => this.userSnapshot(u)),
      groups: [...this.groups.values()].map((g) => ({ ...this.groupResource(g), members: [...g.memberIds] })),
      invitations: this.invitations.map((i) => structuredClone(i)),
    };
  }
}
