import { mailboxKey } from './emailAddress.js';
import type { Approver } from './request.js';

/**
 * A possible approver as the directory describes them. Besides `mail`, a directory user may
 * receive mail or sign in at other addresses (`otherMails`, the UPN): those count for the
 * exclusions too. `userType` and `accountEnabled` are absent for someone the directory does not
 * know (a fallback address with no user), who therefore cannot approve.
 */
export type ApproverCandidate = Approver & { otherAddresses?: string[]; userType?: string; accountEnabled?: boolean };

/** Where a candidate came from, in the order the tiers are tried. */
export type ApproverTier = 'sponsor' | 'sponsorGroupMember' | 'manager' | 'fallback';

/** Why a candidate may not approve; each skip is audited (`ApproverSkipped`). */
export type ApproverSkipReason = 'NotInDirectory' | 'NotAMember' | 'AccountDisabled' | 'IsTheGuest' | 'HoldsRequestAddress' | 'NoMail';

export interface SkippedApprover {
  id: string;
  displayName: string;
  mail: string;
  tier: ApproverTier;
  reason: ApproverSkipReason;
}

/** Everything the approver policy looks at, already fetched from Graph and settings by the caller. */
export interface ApproverCandidates {
  guest: { id: string; mail: string | null; otherMails: string[] };
  /** Sponsors that are users. */
  sponsors: ApproverCandidate[];
  /** User members of the guest's group sponsors (transitively). */
  groupSponsorMembers: ApproverCandidate[];
  manager?: ApproverCandidate;
  /** From the FALLBACK_APPROVERS setting. */
  fallback: ApproverCandidate[];
  /** The request's old and new email (and anything else nobody with that address may approve). */
  excludedEmails: string[];
}

export interface ApproverSelection {
  approvers: Approver[];
  /** Candidates of the tiers tried who may not approve, with the reason. */
  skipped: SkippedApprover[];
}

/** Directory addresses are compared with the request's in one spelling: `bücher.example` is `xn--bcher-kva.example`. */
const normalise = mailboxKey;

/**
 * Who approves a guest's email change, resolved server-side so the requester never chooses: the
 * guest's sponsors (users and members of group sponsors), else the manager, else the fallback
 * approvers. At every tier only enabled internal members approve: a guest (an outsider, who might
 * be the attacker's accomplice), a disabled account, someone the directory does not know, the
 * guest themself, and anyone who receives mail at the old or new address or at any of the
 * guest's addresses are skipped. A tier with nobody eligible falls to the next; an empty result
 * means nobody may approve (the caller declines with `NoApprover`).
 */
export function selectApprovers(input: ApproverCandidates): ApproverSelection {
  const skipReason = skipReasonFor(input);
  const candidatesFrom = candidatesBySource(input);
  const skipped: SkippedApprover[] = [];
  for (const tier of TIERS) {
    const chosen: ApproverCandidate[] = [];
    for (const source of tier) {
      for (const candidate of candidatesFrom[source]) {
        const reason = skipReason(candidate);
        // Someone in two sponsor groups is one candidate of the tier: skipped (and audited) once.
        const seen = skipped.some((skip) => skip.tier === source && (skip.id || skip.mail) === (candidate.id || candidate.mail));
        if (reason && !seen) skipped.push({ id: candidate.id, displayName: candidate.displayName, mail: candidate.mail, tier: source, reason });
        else if (!reason) chosen.push(candidate);
      }
    }
    const approvers = distinct(chosen).map(approverOf);
    if (approvers.length > 0) return { approvers, skipped };
  }
  return { approvers: [], skipped };
}

/**
 * Everyone of every tier who may approve by the same rules, not just the first tier with anyone:
 * an approver mailed from the manager or fallback tier stays an approver when a sponsor is added
 * later. Used to check again, at decision time, someone who already holds a link.
 */
export function eligibleApprovers(input: ApproverCandidates): Approver[] {
  const skipReason = skipReasonFor(input);
  const candidatesFrom = candidatesBySource(input);
  return distinct(TIERS.flat().flatMap((source) => candidatesFrom[source].filter((candidate) => !skipReason(candidate)))).map(approverOf);
}

/** Sponsors and members of sponsor groups form one tier: either kind makes the other unnecessary. */
const TIERS: readonly (readonly ApproverTier[])[] = [['sponsor', 'sponsorGroupMember'], ['manager'], ['fallback']];

function candidatesBySource(input: ApproverCandidates): Record<ApproverTier, ApproverCandidate[]> {
  return { sponsor: input.sponsors, sponsorGroupMember: input.groupSponsorMembers, manager: input.manager ? [input.manager] : [], fallback: input.fallback };
}

/**
 * Why one person may not approve this request by the same rules, or undefined when they may: for
 * an approver an admin assigns by hand (`reassign`), when assigned and again when they decide.
 */
export function approverSkipReason(request: Pick<ApproverCandidates, 'guest' | 'excludedEmails'>, candidate: ApproverCandidate): ApproverSkipReason | undefined {
  return skipReasonFor(request)(candidate);
}

/** Why a candidate may not approve this request, or undefined when they may. */
function skipReasonFor(input: Pick<ApproverCandidates, 'guest' | 'excludedEmails'>): (candidate: ApproverCandidate) => ApproverSkipReason | undefined {
  const excluded = new Set(
    [...input.excludedEmails, ...(input.guest.mail ? [input.guest.mail] : []), ...input.guest.otherMails].map(normalise),
  );
  return (candidate) => {
    const mail = normalise(candidate.mail ?? '');
    const addresses = [mail, ...(candidate.otherAddresses ?? []).map(normalise)];
    if (!candidate.id || candidate.userType === undefined) return 'NotInDirectory';
    if (candidate.id === input.guest.id) return 'IsTheGuest';
    if (candidate.userType !== 'Member') return 'NotAMember';
    if (candidate.accountEnabled !== true) return 'AccountDisabled';
    if (addresses.some((address) => excluded.has(address))) return 'HoldsRequestAddress';
    if (mail === '') return 'NoMail';
    return undefined;
  };
}

const approverOf = ({ id, displayName, mail }: ApproverCandidate): Approver => ({ id, displayName, mail });

/** Keeps the first of each person, by object id and by mail, so nobody gets two approval links. */
function distinct(approvers: ApproverCandidate[]): ApproverCandidate[] {
  const seenIds = new Set<string>();
  const seenMails = new Set<string>();
  return approvers.filter((approver) => {
    const mail = normalise(approver.mail);
    if (seenIds.has(approver.id) || seenMails.has(mail)) return false;
    seenIds.add(approver.id);
    seenMails.add(mail);
    return true;
  });
}
