import type { ApproverSkipReason, SkippedApprover } from '../domain/approvers.js';
import type { Approver, EmailChangeRequest, RequestStatus } from '../domain/request.js';
import type { AdminDigestEntry } from '../store/adminDigest.js';
import { guestName, reasonLabel } from './format.js';
import { link, moment, paragraph, rows, setApart, strong, type Block, type MailParts, type Row } from './mailParts.js';
import { describeRequestSource } from './requestSource.js';
import type { ReportReach } from './requesterPages.js';
import { shownEmailText } from './shownEmail.js';

/**
 * The product's mails, as `MailParts` (rendered with the organisation and send time by
 * `renderMail` when sent). Subjects are plain text built from directory data and validated
 * addresses, never from free text the requester typed; the requester's own words appear only in
 * their labelled block.
 */

/** Why an approver hears about a request: said in every mail to the approvers. */
const APPROVER_WHY = "you are responsible for this guest's access (their sponsor, manager, or a fallback approver)";
/** Why the guest's current address hears about a request. */
const CURRENT_ADDRESS_WHY = 'someone asked to change the sign-in email of the guest account that uses this address';
/** Why an admin hears about a request. */
const ADMIN_WHY = 'this address is set to receive the alerts of the guest sign-in email change service (ADMIN_NOTIFICATION_EMAILS)';

/** The rows that identify a request and its guest in every mail to the admins. */
const guestRows = (request: EmailChangeRequest): Row[] => [
  ['Request id', request.id],
  ['Guest', guestName(request)],
  ['Guest object id', request.guestId ?? 'unknown'],
];

function details(request: EmailChangeRequest): Block[] {
  const table = rows(
    ['Guest', guestName(request)],
    ['Current sign-in email', shownEmailText(request.currentEmail)],
    ['New sign-in email', shownEmailText(request.newEmail)],
    ['Reason', reasonLabel(request.reason)],
    ['Requested', moment(request.submittedAt)],
    ['Requested from', describeRequestSource(request.source)],
    request.deadline && ['Decide by', moment(request.deadline)],
  );
  const words = requesterWords(request);
  return words ? [table, words] : [table];
}

/** Heads the requester's own words in every mail that shows them. */
export const REQUESTER_TEXT_LABEL = 'Written by the requester, not verified';

/**
 * The name and details the requester typed, set apart under a label that says whose words they
 * are: an attacker writes them to sound official ("approved by IT", a number to call).
 */
function requesterWords(request: EmailChangeRequest): Block | undefined {
  const typedName = request.displayName && request.displayName !== request.guestDisplayName ? request.displayName : undefined;
  if (!typedName && !request.reasonDetail) return undefined;
  return setApart(
    paragraph`${strong(`${REQUESTER_TEXT_LABEL}.`)} Anyone can type anything here: do not act on instructions, links or phone numbers in it.`,
    rows(typedName && ['Name given by the requester', typedName], request.reasonDetail && ['Details from the requester', request.reasonDetail]),
  );
}

/** To each approver, with their personal link; the reminder repeats every detail. */
export function approvalRequestEmail(input: { request: EmailChangeRequest; approver: Approver; approvalUrl: string; reminder: boolean }): MailParts {
  const { request, approver } = input;
  return {
    subject: `${input.reminder ? 'Reminder: ' : ''}Approval needed: sign-in email change for ${guestName(request)}`,
    preheader: `${guestName(request)} asks to sign in with ${shownEmailText(request.newEmail)}. Please approve or reject.`,
    heading: input.reminder ? 'Reminder: a sign-in email change is waiting for you' : 'A sign-in email change needs your approval',
    why: APPROVER_WHY,
    body: [
      ...(input.reminder ? [paragraph`${strong('Reminder:')} this request is still waiting for a decision.`] : []),
      paragraph`Hello ${approver.displayName || approver.mail},`,
      paragraph`A change to the sign-in email of a guest you are responsible for was requested. Please review it and approve or reject it.`,
      ...details(request),
      paragraph`Opening the link does not decide anything: you choose on the page. Approving hands all of this guest's access to whoever controls ${shownEmailText(request.newEmail)}, so approve only if you are sure the guest asked for it.`,
      paragraph`Do not forward this email: the link is personal to you.`,
    ],
    action: { label: 'Review the request', url: input.approvalUrl, expiresAt: request.deadline ?? null },
  };
}

/** To the guest's CURRENT address, so the real owner learns of a change they did not ask for, and can stop it. */
export function changeRequestedNoticeEmail(input: { request: EmailChangeRequest; reportUrl: string; reportExpiresAt: string } & ReportReach): MailParts {
  const { request } = input;
  return {
    subject: 'A change to your sign-in email was requested',
    heading: 'A change to your sign-in email was requested',
    why: CURRENT_ADDRESS_WHY,
    body: [
      paragraph`Someone asked to change the email address you use to sign in as a guest from ${shownEmailText(request.currentEmail)} to ${shownEmailText(request.newEmail)}.`,
      paragraph`Nothing changes until a person responsible for your access approves it.`,
      paragraph`${strong('If this was not you')}, stop it with the button below: the request is cancelled and ${input.adminsAlerted ? 'the administrators are alerted' : 'your report is recorded for the administrators'}. You can also contact your sponsor or the IT department of the organisation that invited you.`,
      rows(['Requested', moment(request.submittedAt)]),
    ],
    action: { label: "This wasn't me", url: input.reportUrl, expiresAt: input.reportExpiresAt },
  };
}

/** To the NEW address after the reset: Graph's own invitation text is dropped for app callers. */
export function redeemInvitationEmail(input: { request: EmailChangeRequest; inviteRedeemUrl: string }): MailParts {
  const { request } = input;
  return {
    subject: 'Finish setting up your new sign-in email',
    heading: 'Finish setting up your new sign-in email',
    why: 'the guest account of this organisation that you asked to change now signs in with this address',
    body: [
      paragraph`The email you use to sign in as a guest was changed to ${shownEmailText(request.newEmail)}. Your access stays as it was.`,
      paragraph`To finish, open the invitation and sign in with ${shownEmailText(request.newEmail)}.`,
      paragraph`If you did not ask for this, do not open the link; contact the organisation that invited you.`,
    ],
    // Graph's redemption link has no expiry of its own; it stops working once it is redeemed.
    action: { label: 'Accept the invitation', url: input.inviteRedeemUrl, expiresAt: null },
  };
}

/** To the approver once the change is done, closing the loop they started. */
export function requestCompletedEmail(input: { request: EmailChangeRequest }): MailParts {
  const { request } = input;
  return {
    subject: `Done: sign-in email changed for ${guestName(request)}`,
    heading: `Done: sign-in email changed for ${guestName(request)}`,
    why: 'you approved this change',
    body: [
      paragraph`The change you approved is done: ${guestName(request)} now signs in with ${shownEmailText(request.newEmail)} instead of ${shownEmailText(request.currentEmail)}. An invitation was sent to the new address.`,
      ...(request.decision?.comment ? [rows(['Your comment', request.decision.comment])] : []),
    ],
  };
}

const OUTCOME_SENTENCES: Partial<Record<RequestStatus, string>> = {
  Rejected: 'was not approved',
  Expired: 'was not approved in time',
  Cancelled: 'was cancelled',
  Failed: 'could not be completed',
};

/**
 * To the current address when a request ends without a change. Neutral on purpose: no approver
 * names or comments, nothing an attacker holding the old mailbox could use.
 */
export function requestOutcomeEmail(input: { request: EmailChangeRequest }): MailParts {
  const { request } = input;
  const outcome = OUTCOME_SENTENCES[request.status] ?? 'was closed';
  return {
    subject: 'Your sign-in email change request was closed',
    heading: 'Your sign-in email change request was closed',
    why: CURRENT_ADDRESS_WHY,
    body: [
      paragraph`The request made ${moment(request.submittedAt)} to change your sign-in email from ${shownEmailText(request.currentEmail)} to ${shownEmailText(request.newEmail)} ${outcome}.`,
      paragraph`Your sign-in email was not changed. If you still need the change, contact your sponsor or the IT department of the organisation that invited you.`,
    ],
  };
}

/**
 * To the admins, and to the approver who expects a "done": what Graph said, with its request-id,
 * so they can act or open a support case.
 */
export function resetFailedAdminEmail(input: { request: EmailChangeRequest; reader?: 'admins' | 'approver' }): MailParts {
  const { request } = input;
  const failure = request.result && 'code' in request.result ? request.result : undefined;
  // A step before the decision can fail for good too (mail refused for minutes on end): nothing was approved then.
  const approved = request.decision?.outcome === 'approved';
  return {
    subject: `Guest sign-in email change failed: ${failure?.code ?? 'unknown error'}`,
    heading: approved ? 'An approved sign-in email change failed' : 'A sign-in email change request failed before any decision',
    why: input.reader === 'approver' ? 'you approved this change' : ADMIN_WHY,
    body: [
      approved
        ? paragraph`An approved sign-in email change failed. ${mailRestoreSentence(request)} The request's audit trail shows each step.`
        : paragraph`A sign-in email change request failed before anyone decided on it, so nothing was changed in the directory. The request's audit trail shows how far it got; the guest can ask again.`,
      ...(failure?.transient ? [paragraph`Microsoft Graph kept failing with a temporary fault until the retries ran out. An administrator can retry the reset from the admin console or API within the retry window.`] : []),
      rows(
        ...guestRows(request),
        ['Current sign-in email', shownEmailText(request.currentEmail)],
        ['New sign-in email', shownEmailText(request.newEmail)],
        request.decision && ['Approved by', [request.decision.by, ', ', moment(request.decision.at)]],
        request.decision?.comment && ['Approver comment', request.decision.comment],
        ['Graph error code', failure?.code ?? 'unknown'],
        ['Graph error message', failure?.message ?? 'unknown'],
        ['Graph request-id', failure?.requestId ?? 'unknown'],
      ),
    ],
  };
}

/** The guest's `mail` before the change, as the mails show it. */
const shownPreviousMail = (request: EmailChangeRequest): string => (request.previousMail ? shownEmailText(request.previousMail) : '(empty)');

/** What became of the guest's `mail`, as it stands: a mail never says it was put back before it was. */
function mailRestoreSentence(request: EmailChangeRequest): string {
  const previous = shownPreviousMail(request);
  if (request.mailRestore === 'done') return `The guest's directory mail had been changed to ${shownEmailText(request.newEmail)}; it was put back to ${previous}.`;
  if (request.mailRestore === 'pending') {
    return `The guest's directory mail had been changed to ${shownEmailText(request.newEmail)} and could not be put back yet: it still reads ${shownEmailText(request.newEmail)}. Putting back ${previous} is retried automatically, and the admins get a mail once it is done.`;
  }
  return "The guest's directory mail was not changed.";
}

function mailRestoreRows(request: EmailChangeRequest, failure?: { code: string; message: string; requestId?: string }): Block {
  return rows(
    ...guestRows(request),
    ['Mail to put back', shownPreviousMail(request)],
    ['Mail written by the failed change', shownEmailText(request.newEmail)],
    failure && ['Graph error code', failure.code],
    failure && ['Graph error message', failure.message],
    failure && ['Graph request-id', failure.requestId ?? 'unknown'],
  );
}

/**
 * To the admins once putting the guest's `mail` back after a failed reset has not worked yet: until
 * it is back, the account's mail points at the requester's address, and a routine reset by an
 * admin would hand the account to them. `failure` is Graph's latest refusal, absent when the tries
 * so far failed for another reason (the store).
 */
export function mailRestoreFailedAdminEmail(input: { request: EmailChangeRequest; failure?: { code: string; message: string; requestId?: string }; retryUntil: string }): MailParts {
  const { request, failure } = input;
  return {
    subject: `Action may be needed: ${guestName(request)}'s mail still points at ${shownEmailText(request.newEmail)}`,
    heading: `${guestName(request)}'s mail still points at ${shownEmailText(request.newEmail)}`,
    why: ADMIN_WHY,
    body: [
      paragraph`An approved sign-in email change failed after the guest's directory mail had been changed to ${shownEmailText(request.newEmail)}. Putting back ${shownPreviousMail(request)} has not worked yet, so the mail still reads ${shownEmailText(request.newEmail)}.`,
      paragraph`It is retried automatically until ${moment(input.retryUntil)}; you get a mail once it is done. Until then, do not reset this guest's redemption. If it is still not back by then, set the guest's mail back by hand.`,
      mailRestoreRows(request, failure),
    ],
  };
}

/** To the admins when the guest's `mail` is back after earlier failed tries. */
export function mailRestoredAdminEmail(input: { request: EmailChangeRequest }): MailParts {
  const { request } = input;
  return {
    subject: `Resolved: ${guestName(request)}'s mail is back to ${shownPreviousMail(request)}`,
    heading: `Resolved: ${guestName(request)}'s mail is back`,
    why: ADMIN_WHY,
    body: [
      paragraph`The guest's directory mail, left on ${shownEmailText(request.newEmail)} by a failed sign-in email change, has been put back to ${shownPreviousMail(request)}. Nothing more is needed.`,
      mailRestoreRows(request),
    ],
  };
}

const SKIP_REASONS: Record<ApproverSkipReason, string> = {
  NotInDirectory: 'not a user of this directory',
  NotAMember: 'not an internal member (a guest or a contact)',
  AccountDisabled: 'account disabled',
  IsTheGuest: 'is the guest',
  HoldsRequestAddress: "receives mail at the request's old or new address",
  NoMail: 'has no mail address',
};

/** To the admins when nobody may approve: the request was declined `NoApprover`. */
export function noApproverAdminEmail(input: { request: EmailChangeRequest; skipped: readonly SkippedApprover[] }): MailParts {
  const { request, skipped } = input;
  const skippedText =
    skipped.length === 0
      ? 'nobody: no sponsor, manager or fallback approver is configured'
      : skipped.map((s) => `${s.displayName} <${s.mail || s.id}> (${s.tier}): ${SKIP_REASONS[s.reason]}`).join('\n');
  return {
    subject: 'Guest sign-in email change declined: nobody may approve it',
    heading: 'Nobody may approve a sign-in email change',
    why: ADMIN_WHY,
    body: [
      paragraph`A sign-in email change was declined because the guest has no sponsor, manager or fallback approver who is an enabled internal member. Give the guest a sponsor (or set FALLBACK_APPROVERS) and ask the guest to submit again.`,
      rows(...guestRows(request), ['Current sign-in email', shownEmailText(request.currentEmail)], ['New sign-in email', shownEmailText(request.newEmail)], ['Skipped', skippedText]),
    ],
  };
}

/** What the two "another attempt" mails show: the waiting request and the declined one. */
interface AnotherAttempt {
  active: EmailChangeRequest;
  attempt: EmailChangeRequest;
}

/** To the approvers of a waiting request when a second one for the same guest was declined. */
export function anotherAttemptApproverEmail(input: AnotherAttempt): MailParts {
  const { active, attempt } = input;
  return {
    subject: `Another attempt to change ${guestName(active)}'s sign-in email`,
    heading: `Another attempt to change ${guestName(active)}'s sign-in email`,
    why: APPROVER_WHY,
    body: [
      paragraph`While the request waiting for your decision is open, someone asked again to change the sign-in email of ${guestName(active)}, this time to ${strong(shownEmailText(attempt.newEmail))}. That second request was declined: a guest can have only one request at a time.`,
      paragraph`The request waiting for you asks for ${strong(shownEmailText(active.newEmail))}. If the guest contacts you, check with them which new address they asked for. If it is not ${shownEmailText(active.newEmail)}, reject the waiting request.`,
      rows(
        ['Waiting request', active.id],
        ['It asks for', shownEmailText(active.newEmail)],
        ['Declined attempt', attempt.id],
        ['It asked for', shownEmailText(attempt.newEmail)],
        ['Attempted', moment(attempt.submittedAt)],
      ),
    ],
  };
}

/** To the guest's current address when a second request for the guest was declined. */
export function anotherAttemptGuestEmail(input: AnotherAttempt): MailParts {
  const { active, attempt } = input;
  return {
    subject: 'Another attempt to change your sign-in email',
    heading: 'Another attempt to change your sign-in email',
    why: CURRENT_ADDRESS_WHY,
    body: [
      paragraph`Someone asked to change the email address you use to sign in as a guest from ${shownEmailText(active.currentEmail)} to ${shownEmailText(attempt.newEmail)}. It was not accepted, because a request to change it to ${shownEmailText(active.newEmail)} is already waiting for approval.`,
      paragraph`${strong('If you did not ask for these changes')}, contact your sponsor or the IT department of the organisation that invited you straight away, so they can reject the waiting request.`,
      rows(['Attempted', moment(attempt.submittedAt)]),
    ],
  };
}

/** Why the new address hears about a request. */
const NEW_ADDRESS_WHY = 'this address was given as the new sign-in email of a guest account';

/**
 * To the NEW address right after submission, whether or not the guest exists: the form's answer
 * reveals nothing, and nobody is asked before the address is shown to be the requester's. The
 * tracking link goes along in the text.
 */
export function newAddressConfirmationEmail(input: { request: EmailChangeRequest; confirmUrl: string; trackUrl: string; expiresAt: string }): MailParts {
  const { request } = input;
  return {
    subject: 'Confirm your sign-in email change request',
    preheader: `Confirm that you asked to sign in with ${shownEmailText(request.newEmail)}.`,
    heading: 'Confirm your request',
    why: NEW_ADDRESS_WHY,
    body: [
      paragraph`Someone, hopefully you, asked to make ${shownEmailText(request.newEmail)} the email address a guest account signs in with, instead of ${shownEmailText(request.currentEmail)}.`,
      paragraph`If you asked for it, confirm it with the button below. Nothing happens until you confirm, and nobody is asked to approve it before then; unconfirmed, the request expires ${moment(input.expiresAt)}.`,
      paragraph`Follow your request, or cancel it, on its ${link('private tracking page', input.trackUrl)}.`,
      paragraph`If you did not ask for this, ignore this email: nothing will change.`,
    ],
    action: { label: 'Confirm the request', url: input.confirmUrl, expiresAt: input.expiresAt },
  };
}

/** To the NEW address when confirmation is turned off: the requester's tracking link. */
export function requestReceivedEmail(input: { request: EmailChangeRequest; trackUrl: string; trackExpiresAt: string }): MailParts {
  const { request } = input;
  return {
    subject: 'Your sign-in email change request was received',
    heading: 'Your request was received',
    why: NEW_ADDRESS_WHY,
    body: [
      paragraph`A request to make ${shownEmailText(request.newEmail)} the email address a guest account signs in with, instead of ${shownEmailText(request.currentEmail)}, was received.`,
      paragraph`Follow your request, or cancel it, on its private tracking page. If you did not ask for it, cancel it there.`,
    ],
    action: { label: 'Track the request', url: input.trackUrl, expiresAt: input.trackExpiresAt },
  };
}

/** Who ended a request, as one approver reads it: "you" to the approver who decided. */
function endedBy(request: EmailChangeRequest, approver: Approver): string {
  if (request.status === 'Cancelled') {
    if (request.cancelledBy === 'requester') return 'cancelled by the requester';
    if (request.cancelledBy === 'owner') return 'stopped by the owner of the current address, who reported that they did not ask for it';
    return 'cancelled by an administrator';
  }
  if (request.status === 'Expired') return 'closed because nobody decided before the deadline';
  const decision = request.decision;
  if (!decision) return 'closed';
  return `${decision.outcome} by ${decision.by.toLowerCase() === approver.mail.toLowerCase() ? 'you' : decision.by}`;
}

/**
 * To each approver who did not decide, when a request they were asked about ended: another
 * approver decided, it was cancelled, or it expired. Their link stops working; this says why.
 */
export function requestEndedApproverEmail(input: { request: EmailChangeRequest; approver: Approver }): MailParts {
  const { request, approver } = input;
  const done = request.status === 'Completed';
  const title = `${done ? 'Done' : 'Closed'}: sign-in email change for ${guestName(request)}`;
  return {
    subject: title,
    heading: title,
    why: `${APPROVER_WHY}, and you were asked to approve this request`,
    body: [
      paragraph`Hello ${approver.displayName || approver.mail},`,
      paragraph`The request to change the sign-in email of ${guestName(request)} from ${shownEmailText(request.currentEmail)} to ${shownEmailText(request.newEmail)} was ${endedBy(request, approver)}${request.decision ? [' ', moment(request.decision.at)] : false}. ${done ? `The guest now signs in with ${shownEmailText(request.newEmail)}.` : request.status === 'Failed' ? 'The change could not be made, and the administrators were told.' : "The guest's sign-in email was not changed."}`,
      ...(request.status === 'Cancelled' && request.cancelledBy === 'admin' && request.cancelReason ? [rows(['Reason given', request.cancelReason])] : []),
      paragraph`Your link to this request no longer works; nothing more is needed from you.`,
      ...details(request),
    ],
  };
}

/**
 * To the CURRENT address once the change was made: the second half of the takeover alarm. Its
 * "this wasn't me" link still alerts the admins, who can undo it.
 */
export function changeMadeOwnerEmail(input: { request: EmailChangeRequest; reportUrl: string; reportExpiresAt: string }): MailParts {
  const { request } = input;
  return {
    subject: 'Your sign-in email was changed',
    heading: 'Your sign-in email was changed',
    why: 'this address was the sign-in email of your guest account until now',
    body: [
      paragraph`The email address you use to sign in as a guest was changed from ${shownEmailText(request.currentEmail)} to ${shownEmailText(request.newEmail)}, after a person responsible for your access approved the request made ${moment(request.submittedAt)}.`,
      paragraph`From now on, sign in with ${shownEmailText(request.newEmail)}; this address no longer signs you in.`,
      paragraph`${strong('If this was not you')}, tell the administrators now with the button below. You can also contact your sponsor or the IT department of the organisation that invited you.`,
    ],
    action: { label: "This wasn't me", url: input.reportUrl, expiresAt: input.reportExpiresAt },
  };
}

/** To the CURRENT address when the request its owner reported was stopped. */
export function reportedRequestStoppedOwnerEmail(input: { request: EmailChangeRequest } & ReportReach): MailParts {
  const { request } = input;
  return {
    subject: 'The sign-in email change you reported was stopped',
    heading: 'The change you reported was stopped',
    why: 'you reported from this address that you did not ask for this change',
    body: [
      paragraph`You reported that you did not ask to change your sign-in email from ${shownEmailText(request.currentEmail)} to ${shownEmailText(request.newEmail)}. The request was stopped: your sign-in email was not changed, and ${input.adminsAlerted ? 'the administrators were alerted' : 'your report was recorded for the administrators'}.`,
      paragraph`Nothing more is needed from you.`,
    ],
  };
}

/**
 * To the admins when the owner of the current address says "this wasn't me": an attempted or
 * completed takeover. `stopped` tells which: the request was still undecided and is cancelled, or
 * it had already gone further and someone must look at the account now.
 */
export function ownerReportAdminEmail(input: { request: EmailChangeRequest; reportedAt: string; stopped: boolean }): MailParts {
  const { request, stopped } = input;
  return {
    subject: `${stopped ? 'Stopped' : 'Action needed'}: the owner of ${shownEmailText(request.currentEmail)} reported a sign-in email change they did not ask for`,
    heading: stopped ? 'A reported sign-in email change was stopped' : 'A reported sign-in email change needs you',
    why: ADMIN_WHY,
    body: [
      paragraph`${moment(input.reportedAt)} the owner of ${shownEmailText(request.currentEmail)} reported that they did not ask to change the guest's sign-in email to ${shownEmailText(request.newEmail)}.`,
      stopped
        ? paragraph`The request was still undecided and was cancelled; the approvers were told. Check who submitted it: the request shows where from.`
        : paragraph`The request was already ${strong(request.status)}, so nothing was stopped. ${request.status === 'Completed' ? 'The guest now signs in with the new address: check the account and undo the change if the report is genuine.' : 'Check the account and the request.'}`,
      rows(
        ...guestRows(request),
        ['Current sign-in email', shownEmailText(request.currentEmail)],
        ['New sign-in email', shownEmailText(request.newEmail)],
        ['Status', request.status],
        ['Requested from', describeRequestSource(request.source)],
        request.decision && ['Decided by', [request.decision.by, ' ', moment(request.decision.at)]],
      ),
    ],
  };
}

/**
 * To the admins once per digest period (ADMIN_NOTIFICATIONS `digest` or `both`): every alert
 * recorded since the last digest, oldest first, each with the request id to look up in the admin
 * API. Alerts that also went out at once say so, so nobody acts on one twice.
 */
export function adminDigestEmail(input: { entries: readonly AdminDigestEntry[]; from?: string; until: string }): MailParts {
  const { entries } = input;
  const count = entries.length === 1 ? '1 alert' : `${entries.length} alerts`;
  return {
    subject: `Guest sign-in email change digest: ${count}`,
    heading: `${count} since the last digest`,
    why: `${ADMIN_WHY}, and ADMIN_NOTIFICATIONS asks for a digest`,
    body: [
      paragraph`Every alert of the guest sign-in email change service ${input.from ? 'since the last digest' : 'since digests began'}, oldest first. Look each request up by its id in the admin API; its audit trail shows every step.`,
      rows(input.from && ['Since', moment(input.from)], ['Until', moment(input.until)]),
      ...entries.map((entry) =>
        rows(
          ['Alert', strong(entry.subject)],
          ['When', moment(entry.at)],
          ['Request id', entry.requestId],
          ['Guest', entry.guest],
          ['Current sign-in email', shownEmailText(entry.currentEmail)],
          ['New sign-in email', shownEmailText(entry.newEmail)],
          ['Admin API', `GET /api/admin/requests/${entry.requestId}`],
          entry.mailedAtOnce && ['Mailed at once', 'yes, this alert also went out when it happened'],
        ),
      ),
    ],
  };
}
