import type { Settings } from '../config/settings.js';
import { selectApprovers, type ApproverCandidate, type ApproverCandidates, type ApproverSelection } from '../domain/approvers.js';
import type { EmailChangeRequest } from '../domain/request.js';
import { GraphRequestError, type DirectoryUser, type GraphGateway } from '../graph/graphGateway.js';

/**
 * Fetches every candidate from Graph (sponsors, members of group sponsors, manager, configured
 * fallback) and lets the approver policy choose; it also says whom it skipped and why.
 */
export async function resolveApprovers(
  graph: GraphGateway,
  settings: Settings,
  guest: DirectoryUser,
  request: Pick<EmailChangeRequest, 'currentEmail' | 'newEmail'>,
): Promise<ApproverSelection> {
  return selectApprovers(await fetchApproverCandidates(graph, settings, guest, request));
}

/**
 * Every candidate of every tier as the directory describes them now, fetched once: the policy
 * then gives either the selection (`selectApprovers`, when links are sent) or everyone eligible
 * at any tier (`eligibleApprovers`, when someone holding a link decides).
 */
export async function fetchApproverCandidates(
  graph: GraphGateway,
  settings: Settings,
  guest: DirectoryUser,
  request: Pick<EmailChangeRequest, 'currentEmail' | 'newEmail'>,
): Promise<ApproverCandidates> {
  const sponsors = await graph.getSponsors(guest.id);
  const userSponsors = sponsors.flatMap((s) => (s.kind === 'user' ? [s] : []));
  const groupMembers: DirectoryUser[] = [];
  for (const group of sponsors.filter((s) => s.kind === 'group')) {
    groupMembers.push(...(await groupMembersIfPermitted(graph, group.id)));
  }
  const manager = await graph.getManager(guest.id);
  return {
    guest: { id: guest.id, mail: guest.mail, otherMails: guest.otherMails },
    sponsors: approversFrom(userSponsors),
    groupSponsorMembers: approversFrom(groupMembers),
    ...(manager ? { manager: approversFrom([manager])[0] } : {}),
    fallback: await resolveFallbackApprovers(graph, settings.FALLBACK_APPROVERS),
    excludedEmails: [request.currentEmail, request.newEmail],
  };
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
 * shared mailbox elsewhere, a deleted user) cannot approve, and the skip says so.
 */
async function resolveFallbackApprovers(graph: GraphGateway, entries: string[]): Promise<ApproverCandidate[]> {
  const approvers: ApproverCandidate[] = [];
  for (const entry of entries) {
    const isMail = entry.includes('@');
    const user = isMail ? await graph.findUserByEmail(entry) : await graph.getUser(entry);
    if (user) approvers.push(...approversFrom([{ ...user, mail: user.mail ?? (isMail ? entry : null) }]));
    else approvers.push({ id: '', displayName: entry, mail: isMail ? entry : '' });
  }
  return approvers;
}
