import type { Settings } from '../config/settings.js';
import { eligibleApprovers, selectApprovers, type ApproverCandidate, type ApproverCandidates, type ApproverSelection } from '../domain/approvers.js';
import type { EmailChangeRequest } from '../domain/request.js';
import { GraphRequestError, type DirectoryPrincipal, type DirectoryUser, type GraphGateway } from '../graph/graphGateway.js';

type ApproverRequest = Pick<EmailChangeRequest, 'currentEmail' | 'newEmail'>;

/** What the caller already read: the guest and its sponsors (users and groups). */
export interface KnownCandidates {
  guest: DirectoryUser;
  sponsors: DirectoryPrincipal[];
  request: ApproverRequest;
}

/**
 * Who is mailed an approval link: the first tier with anyone eligible (DESIGN §2 step 4). Each
 * tier is read from Graph only when every tier before it had nobody: a guest whose sponsors
 * answer costs no manager lookup and no fallback lookups. The skipped candidates are those of the
 * tiers tried, as the policy reports them; a tier never read has nobody to skip.
 */
export async function resolveApprovers(graph: GraphGateway, settings: Settings, guest: DirectoryUser, request: ApproverRequest): Promise<ApproverSelection> {
  const sponsors = await graph.getSponsors(guest.id);
  const hasApprovers = (candidates: ApproverCandidates) => selectApprovers(candidates).approvers.length > 0;
  return selectApprovers(await readTiersUntil(graph, settings, { guest, sponsors, request }, hasApprovers, 'wholeTiers'));
}

/**
 * Whether someone holding a link may still approve, by the directory as it is now: eligible at any
 * tier, not only the one links went to (a sponsor added since does not unseat the manager). The
 * tiers are read in order and the reading stops where the approver is found eligible, so a
 * sponsor who decides costs no manager, group or fallback lookup.
 */
export async function isEligibleApproverNow(graph: GraphGateway, settings: Settings, known: KnownCandidates, approverId: string): Promise<boolean> {
  const id = approverId.trim().toLowerCase();
  const isEligible = (candidates: ApproverCandidates) => eligibleApprovers(candidates).some((a) => a.id.toLowerCase() === id);
  return isEligible(await readTiersUntil(graph, settings, known, isEligible, 'eachStep'));
}

type TierCandidates = Partial<Pick<ApproverCandidates, 'sponsors' | 'groupSponsorMembers' | 'manager' | 'fallback'>>;

/**
 * The candidates of the tiers in order, one Graph read at a time, until `enough` holds. Sponsors
 * that are users and the members of sponsor groups form one tier: screening stops only between
 * whole tiers (every member of the tier that answers is mailed and its skips audited), while the
 * decision-time check may stop as soon as the approver is found.
 */
async function readTiersUntil(
  graph: GraphGateway,
  settings: Settings,
  { guest, sponsors, request }: KnownCandidates,
  enough: (candidates: ApproverCandidates) => boolean,
  stopAt: 'wholeTiers' | 'eachStep',
): Promise<ApproverCandidates> {
  const steps: { read: () => Promise<TierCandidates>; endsTier: boolean }[] = [
    { read: async () => ({ sponsors: approversFrom(sponsors.flatMap((s) => (s.kind === 'user' ? [s] : []))) }), endsTier: false },
    { read: async () => ({ groupSponsorMembers: approversFrom(await membersOfSponsorGroups(graph, sponsors)) }), endsTier: true },
    { read: async () => managerOf(graph, guest.id), endsTier: true },
    { read: async () => ({ fallback: await resolveFallbackApprovers(graph, settings.FALLBACK_APPROVERS) }), endsTier: true },
  ];
  let candidates: ApproverCandidates = {
    guest: { id: guest.id, mail: guest.mail, otherMails: guest.otherMails },
    sponsors: [],
    groupSponsorMembers: [],
    fallback: [],
    excludedEmails: [request.currentEmail, request.newEmail],
  };
  for (const step of steps) {
    candidates = { ...candidates, ...(await step.read()) };
    if ((step.endsTier || stopAt === 'eachStep') && enough(candidates)) break;
  }
  return candidates;
}

async function membersOfSponsorGroups(graph: GraphGateway, sponsors: DirectoryPrincipal[]): Promise<DirectoryUser[]> {
  const members: DirectoryUser[] = [];
  for (const group of sponsors.filter((s) => s.kind === 'group')) members.push(...(await groupMembersIfPermitted(graph, group.id)));
  return members;
}

async function managerOf(graph: GraphGateway, guestId: string): Promise<TierCandidates> {
  const manager = await graph.getManager(guestId);
  return manager ? { manager: approversFrom([manager])[0] } : {};
}

/**
 * Listing a group's members needs `GroupMember.Read.All`, which the three core permissions do not
 * include. Without it Graph answers 403 and the group simply adds no approvers: the manager or the
 * fallback list takes over, rather than the whole request failing.
 */
async function groupMembersIfPermitted(graph: GraphGateway, groupId: string): Promise<DirectoryUser[]> {
  try {
    return await graph.getGroupMembers(groupId);
  } catch (error) {
    if (error instanceof GraphRequestError && error.status === 403) return [];
    throw error;
  }
}

/** Directory users as the approver policy sees them (every address they receive mail or sign in at). */
export function approversFrom(users: DirectoryUser[]): ApproverCandidate[] {
  return users.map((u) => ({
    id: u.id,
    displayName: u.displayName,
    mail: (u.mail ?? '').toLowerCase(),
    otherAddresses: [...(u.otherMails ?? []), ...(u.userPrincipalName ? [u.userPrincipalName] : [])],
    userType: u.userType,
    accountEnabled: u.accountEnabled,
  }));
}

/**
 * FALLBACK_APPROVERS holds mail addresses or object ids. Each is looked up so the approver is a
 * directory user whose membership and state can be checked; an entry Graph does not know (a
 * shared mailbox elsewhere, a deleted user) cannot approve, and the skip says so. An address names
 * the user whose `mail` or sign-in name it is, never one listing it in `otherMails`: that would make
 * whoever can edit alternate addresses the approver of every guest without a sponsor or manager.
 */
async function resolveFallbackApprovers(graph: GraphGateway, entries: string[]): Promise<ApproverCandidate[]> {
  const approvers: ApproverCandidate[] = [];
  for (const entry of entries) {
    const isMail = entry.includes('@');
    const user = isMail ? await graph.findUserByMailOrUpn(entry) : await graph.getUser(entry);
    if (user) approvers.push(...approversFrom([{ ...user, mail: user.mail ?? (isMail ? entry : null) }]));
    else approvers.push({ id: '', displayName: entry, mail: isMail ? entry : '' });
  }
  return approvers;
}
