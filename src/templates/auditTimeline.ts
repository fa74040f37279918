import type { AuditEvent, RequestSource } from '../domain/request.js';
import { formatTimestamp } from './format.js';
import { describeRequestSource } from './requestSource.js';

/**
 * A request's audit trail in words, for the admin console's timeline: one sentence per event
 * type, built from the event's detail. An event type without a sentence (written by a newer
 * version, say) is still shown, by its type, so the timeline never hides an event.
 */

type Detail = Record<string, unknown>;

/** A detail value as text; a list joined with commas; nothing for what is absent. */
function text(value: unknown): string {
  if (Array.isArray(value)) return value.map(text).filter(Boolean).join(', ');
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** ` (label value)`, or nothing when the value is absent. */
const aside = (label: string, value: unknown): string => (text(value) ? ` (${label}${text(value)})` : '');
/** `: value`, or nothing when the value is absent. */
const because = (value: unknown): string => (text(value) ? `: ${text(value)}` : '');
/** A comment an approver or admin wrote, quoted. */
const quoted = (value: unknown): string => (text(value) ? `, saying "${text(value)}"` : '');

const DECISION_WORDS: Record<string, string> = { approved: 'An approval', rejected: 'A rejection' };
const CANCELLED_BY: Record<string, string> = { admin: 'an admin', requester: 'the requester', owner: "the current address's owner (\"this wasn't me\")" };
const cancelledBy = (origin: unknown): string => CANCELLED_BY[text(origin)] ?? 'someone';

/** A Graph or internal failure as stored in audit details (`code`, `message`, `requestId`). */
const failure = (d: Detail): string => `${text(d.code) || 'unknown error'}${text(d.message) ? ` (${text(d.message)})` : ''}${aside('Graph request-id ', d.requestId)}`;

const SENTENCES: Record<string, (d: Detail) => string> = {
  Submitted: (d) => `Request submitted${d.source ? ` from ${describeRequestSource(d.source as RequestSource)}` : ''}.`,
  ConfirmationRequested: (d) => `Confirmation link mailed to the new address ${text(d.to)}${d.expiresAt ? `, valid until ${formatTimestamp(text(d.expiresAt))}` : ''}.`,
  NewEmailConfirmed: () => 'The new address confirmed the request.',
  Confirmed: () => 'Confirmation recorded; the guest is checked next.',
  ConfirmationDeadlinePassed: () => 'The new address did not confirm in time.',
  Screened: (d) => `Guest found in the directory${aside('object id ', d.guestId)}; approvers: ${text(d.approvers) || 'none'}.`,
  ApproverSkipped: (d) => `${text(d.displayName) || text(d.mail) || 'A candidate'}${aside('', d.mail)} skipped as ${text(d.tier) || 'an'} approver${because(d.reason)}.`,
  Declined: (d) => `Declined${because(d.reason)}.`,
  ApprovalRequested: (d) => `Approval asked of ${text(d.approvers) || 'nobody'}${d.deadline ? `, deadline ${formatTimestamp(text(d.deadline))}` : ''}.`,
  ReminderSent: (d) => `Reminder sent to ${text(d.approvers) || 'the approvers'}.`,
  DecisionReceived: (d) => `Decision received: ${text(d.outcome) || 'unknown'}${quoted(d.comment)}.`,
  Approved: (d) => `Approved${quoted(d.comment)}.`,
  Rejected: (d) => `Rejected${quoted(d.comment)}.`,
  DecisionRefused: (d) => `A decision was refused: signed in as someone other than the approver${aside('approver ', d.approverId)}.`,
  DecisionIgnored: (d) => `${DECISION_WORDS[text(d.outcome)] ?? 'A decision'} was not applied${because(d.reason)}.`,
  DecisionUndelivered: (d) => `A decision was recorded but not yet passed on to the workflow${because(d.reason)}.`,
  ApproverNoLongerEligible: (d) => `An approver was refused, no longer eligible${because(d.reason)}.`,
  CancelRequested: (d) => `Cancellation asked by ${cancelledBy(d.origin)}${because(d.reason)}.`,
  CancelIgnored: (d) => `A cancellation was not applied${because(d.why)}${d.reason ? ` (reason given: ${text(d.reason)})` : ''}.`,
  Cancelled: (d) => `Cancelled by ${cancelledBy(d.origin)}${because(d.reason)}.`,
  DeadlinePassed: () => 'The approval deadline passed.',
  Expired: (d) => `Expired without a decision${d.deadline ? ` (deadline ${formatTimestamp(text(d.deadline))})` : ''}.`,
  PreviousMailSaved: (d) => `The guest's mail before the change was saved: ${text(d.previousMail) || 'none'}.`,
  MailUpdated: (d) => `The guest's mail was changed from ${text(d.from) || 'none'} to ${text(d.to)}.`,
  RedemptionReset: (d) => `Redemption reset in the directory${aside('invitation ', d.invitationId)}.`,
  ResetTryFailed: (d) => `Graph failed a try of the reset${aside('try ', d.try)} with a passing fault: ${failure(d)}.`,
  ResetFailed: (d) => `The reset failed: ${failure(d)}.`,
  Completed: (d) => `Completed${aside('invitation ', d.invitationId)}.`,
  Failed: (d) => `Failed${aside('', d.code)}.`,
  MailRestoreFailed: (d) => `Putting the guest's mail back failed${aside('try ', d.attempt)}: ${failure(d)}.`,
  MailRestored: (d) => `The guest's mail was put back to ${text(d.to) || 'none'}.`,
  MailSent: (d) => `Mail "${text(d.subject)}" sent to ${text(d.to)}.`,
  MailFailed: (d) => `A mail (${text(d.key)}) could not be sent${aside('try ', d.attempt)}: ${failure(d)}.`,
  AdminAlertListed: (d) => `Admin alert "${text(d.subject)}" listed for the digest${d.mailedAtOnce ? ', and mailed at once' : ''}.`,
  ApprovalLinksResent: (d) => `Fresh approval links mailed to ${text(d.approvers) || 'the approvers'}; ${text(d.revokedLinks) || 'no'} older link(s) stopped working${because(d.reason)}.`,
  ApproverAssigned: (d) => {
    const approver = (d.approver ?? {}) as Detail;
    const replaced = (d.replaced ?? {}) as Detail;
    return `Approver added: ${text(approver.displayName) || text(approver.mail) || 'unknown'}${aside('', approver.mail)}${replaced.mail ? `, replacing ${text(replaced.mail)}` : ''}${because(d.reason)}.`;
  },
  ApprovalLinksRevoked: (d) => `${text(((d.approver ?? {}) as Detail).mail) || 'An approver'}'s ${text(d.revokedLinks) || 'no'} approval link(s) stopped working, but the reassign that revoked them was not stored: resend to send new ones${because(d.reason)}.`,
  RetryRequested: (d) => `Retry of the reset asked for (attempt ${text(d.attempt)})${because(d.reason)}.`,
  RetryResumed: (d) => `Retry of the reset started again (attempt ${text(d.attempt)}): its first start had stopped short${because(d.reason)}.`,
  RetryNotStarted: (d) => `The retry (attempt ${text(d.attempt)}) could not be started; the request is back to Failed.`,
  ReportedByOwner: (d) => `The current address's owner said "this wasn't me"${d.status ? ` while the request was ${text(d.status)}` : ''}.`,
  GuestLockReleased: (d) => `The guest's lock was released${aside('guest ', d.guestId)}${because(d.reason)}.`,
};

/** What happened, in one sentence; an unknown type reads `Event "Type".`, its detail shown beside. */
export function describeAuditEvent(event: Pick<AuditEvent, 'type' | 'detail'>): string {
  if (!isDescribedAuditEvent(event.type)) return `Event "${event.type}".`;
  // A reason quoted last often ends a sentence of its own: one full stop is enough.
  return SENTENCES[event.type]!(event.detail ?? {}).replace(/([.!?])\.$/, '$1');
}

/** Whether `describeAuditEvent` has words of its own for this type. */
export const isDescribedAuditEvent = (type: string): boolean => Object.hasOwn(SENTENCES, type);

/** Who, in words: `system` is the workflow itself, `requester` whoever filled in the form. */
export const actorInWords = (actor: string): string => (actor === 'system' ? 'the system' : actor === 'requester' ? 'the requester' : actor);
