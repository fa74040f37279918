import { z } from 'zod';

/**
 * The shape of `tenant.seed.json` and of users added at run time
 * (`POST /_dev/tenant/users`, DESIGN §7). Validated so a typo in the seed fails at start-up
 * instead of turning into a confusing Graph answer later.
 */

const guid = z.guid();
// Directory mail values may hold apostrophes, `+` and `&`; only invitations refuse those.
const email = z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an email address');

export const seedUserSchema = z.object({
  id: guid,
  displayName: z.string().min(1),
  mail: email.nullable(),
  otherMails: z.array(email).default([]),
  userPrincipalName: z.string().min(3).optional(),
  userType: z.enum(['Guest', 'Member']),
  externalUserState: z.enum(['PendingAcceptance', 'Accepted']).nullable().optional(),
  creationType: z.string().nullable().optional(),
  accountEnabled: z.boolean().default(true),
  jobTitle: z.string().nullable().default(null),
  /** Ids of users or groups sponsoring this user. */
  sponsors: z.array(guid).default([]),
  /** Id of the user's manager. */
  manager: guid.optional(),
  /** Display names of directory roles held, e.g. `Helpdesk Administrator`. */
  directoryRoles: z.array(z.string().min(1)).default([]),
  /** Whether the user has an Exchange Online mailbox that can send mail (members default to yes). */
  mailbox: z.boolean().optional(),
});

export const seedGroupSchema = z.object({
  id: guid,
  displayName: z.string().min(1),
  mail: email.nullable().default(null),
  mailNickname: z.string().min(1).optional(),
  mailEnabled: z.boolean().default(false),
  securityEnabled: z.boolean().default(true),
  /** Ids of member users or groups. */
  members: z.array(guid).default([]),
});

export const tenantSeedSchema = z.object({
  tenant: z.object({
    id: guid,
    displayName: z.string().min(1),
    /** The `*.onmicrosoft.com` domain guest UPNs are made in. */
    initialDomain: z.string().min(3),
    verifiedDomains: z.array(z.string().min(3)).min(1),
  }),
  users: z.array(seedUserSchema),
  groups: z.array(seedGroupSchema).default([]),
});

/** `POST /_dev/tenant/users`: what a test or a person gives to add a user. */
export const newTenantUserSchema = z.strictObject({
  displayName: z.string().trim().min(1),
  mail: email,
  userType: z.enum(['Guest', 'Member']),
  otherMails: z.array(email).optional(),
  sponsors: z.array(guid).optional(),
  manager: guid.optional(),
  directoryRoles: z.array(z.string().trim().min(1)).optional(),
  accountEnabled: z.boolean().optional(),
});

export type TenantSeed = z.output<typeof tenantSeedSchema>;
export type SeedUser = z.output<typeof seedUserSchema>;
export type NewTenantUser = z.input<typeof newTenantUserSchema>;
