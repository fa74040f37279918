import type { Settings } from '../config/settings.js';
import { selectApprovers } from '../domain/approvers.js';
import type { ApproverCandidate } from '../domain/approvers.js';
import type { Approver, EmailChangeRequest } from '../domain/request.js';
import { GraphRequestError, type DirectoryUser, type GraphGateway } from '../graph/graphGateway.js';

/**
 * Fetches every candidate from Graph (sponsors, members of group sponsors, manager, configured
 * fallback) and lets the approver policy choose. Disabled accounts never approve.
 */
export async function resolveApprovers(graph: GraphGateway, settings: Settings, guest: DirectoryUser, request: EmailChangeRequest): Promise<Approver[]> {
  const sponsors = await graph.getSponsors(guest.id);
  const userSponsors = sponsors.flatMap((s) => (s.kind === 'user' ? [s] : []));
  const groupMembers: DirectoryUser[] = [];
  for (const group of sponsors.filter((s) => s.kind === 'group')) {
    groupMembers.push(...(await groupMembersIfPermitted(graph, group.id)));
  }
  const manager = await graph.getManager(guest.id);
  return selectApprovers({
    guest: { id: guest.id, mail: guest.mail, otherMails: guest.otherMails },
    sponsors: approversFrom(userSponsors),
    groupSponsorMembers: approversFrom(groupMembers),
    ...(manager ? { manager: approversFrom([manager])[0] } : {}),
    fallback: await resolveFallbackApprovers(graph, settings.FALLBACK_APPROVERS),
    excludedEmails: [request.currentEmail, request.newEmail],
  });
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

function approversFrom(users: DirectoryUser[]): ApproverCandidate[] {
  return users
    .filter((u) => u.accountEnabled !== false)
    .map((u) => ({
      id: u.id,
      displayName: u.displayName,
      mail: (u.mail ?? '').toLowerCase(),
      otherAddresses: [...(u.otherMails ?? []), ...(u.userPrincipalName ? [u.userPrincipalName] : [])],
    }));
}

/**
 * FALLBACK_APPROVERS holds mail addresses or object ids. Each is looked up so the approver has an
 * id and a name; an address Graph does not know (a shared mailbox elsewhere, say) is still used,
 * since an administrator configured it, while an unknown id is dropped (there is nobody to mail).
 */
async function resolveFallbackApprovers(graph: GraphGateway, entries: string[]): Promise<ApproverCandidate[]> {
  const approvers: ApproverCandidate[] = [];
  for (const entry of entries) {
    const isMail = entry.includes('@');
    const user = isMail ? await graph.findUserByEmail(entry) : await graph.getUser(entry);
    if (user) approvers.push(...approversFrom([{ ...user, mail: user.mail ?? (isMail ? entry : null) }]));
    else if (isMail) approvers.push({ id: '', displayName: entry, mail: entry });
  }
  return approvers;
}
