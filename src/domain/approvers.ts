import type { Approver } from './request.js';

/**
 * A possible approver. Besides `mail`, a directory user may receive mail or sign in at other
 * addresses (`otherMails`, the UPN): those count for the exclusions too.
 */
export type ApproverCandidate = Approver & { otherAddresses?: string[] };

/** Everything the approver policy looks at, already fetched from Graph and settings by the caller. */
export interface ApproverCandidates {
  guest: { id: string; mail: string | null; otherMails: string[] };
  /** Sponsors that are users. */
  sponsors: ApproverCandidate[];
  /** User members of the guest's group sponsors. */
  groupSponsorMembers: ApproverCandidate[];
  manager?: ApproverCandidate;
  /** From the FALLBACK_APPROVERS setting. */
  fallback: ApproverCandidate[];
  /** The request's old and new email (and anything else nobody with that address may approve). */
  excludedEmails: string[];
}

const normalise = (mail: string): string => mail.trim().toLowerCase();

/**
 * Who approves a guest's email change, resolved server-side so the requester never chooses: the
 * guest's sponsors (users and members of group sponsors), else the manager, else the fallback
 * approvers. Nobody approves a change to their own account, and nobody who receives mail at the
 * old or new address, or at any of the guest's addresses, may approve: that person could be the
 * attacker. An empty result means nobody may approve (the caller declines with `NoApprover`).
 */
export function selectApprovers(input: ApproverCandidates): Approver[] {
  const excluded = new Set(
    [...input.excludedEmails, ...(input.guest.mail ? [input.guest.mail] : []), ...input.guest.otherMails].map(normalise),
  );
  const eligible = (candidate: ApproverCandidate): boolean => {
    const mail = normalise(candidate.mail ?? '');
    const addresses = [mail, ...(candidate.otherAddresses ?? []).map(normalise)];
    return candidate.id !== input.guest.id && mail !== '' && !addresses.some((address) => excluded.has(address));
  };

  const tiers: ApproverCandidate[][] = [
    [...input.sponsors, ...input.groupSponsorMembers],
    input.manager ? [input.manager] : [],
    input.fallback,
  ];
  for (const tier of tiers) {
    const chosen = distinct(tier.filter(eligible));
    if (chosen.length > 0) return chosen.map(({ id, displayName, mail }) => ({ id, displayName, mail }));
  }
  return [];
}

/** Keeps the first of each person, by object id and by mail, so nobody gets two approval links. */
function distinct(approvers: ApproverCandidate[]): ApproverCandidate[] {
  const seenIds = new Set<string>();
  const seenMails = new Set<string>();
  return approvers.filter((approver) => {
    const mail = normalise(approver.mail);
    // Fallback approvers may come from settings without an object id; only real ids identify.
    if ((approver.id && seenIds.has(approver.id)) || seenMails.has(mail)) return false;
    if (approver.id) seenIds.add(approver.id);
    seenMails.add(mail);
    return true;
  });
}
