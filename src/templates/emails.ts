import type { ApproverSkipReason, SkippedApprover } from '../domain/approvers.js';
import type { Approver, EmailChangeRequest, RequestStatus } from '../domain/request.js';
import { html, type SafeHtml } from './escape.js';
import { PRODUCT_NAME, formatTimestamp, guestName, oneLine, reasonLabel } from './format.js';
import { describeRequestSource } from './requestSource.js';

/**
 * The product's mail, as `{subject, html}`. Every value is escaped; each link is a plain
 * `<a href>` (the dev outbox and people's mail clients both find it there). Subjects are plain
 * text built from directory data and validated addresses, never from free text the requester typed.
 */

export interface EmailContent {
  subject: string;
  html: string;
}

export function renderEmail(subject: string, body: SafeHtml): EmailContent {
  const cleanSubject = oneLine(subject);
  const document = html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${cleanSubject}</title></head>
<body>
${body}
<p><small>${PRODUCT_NAME}. This message was sent automatically; replies are not read.</small></p>
</body>
</html>
`;
  return { subject: cleanSubject, html: document.toString() };
}

export const row = (label: string, value: unknown): SafeHtml => html`<tr><th align="left" valign="top">${label}</th><td>${value}</td></tr>`;

/** The rows that identify a request and its guest in every mail to the admins. */
export const guestRows = (request: EmailChangeRequest): SafeHtml =>
  html`${row('Request id', request.id)}
${row('Guest', guestName(request))}
${row('Guest object id', request.guestId ?? 'unknown')}`;

/** Multi-line free text keeps its line breaks without trusting it as markup. */
export const multiline = (text: string): SafeHtml[] => text.split('\n').map((line, i) => (i === 0 ? html`${line}` : html`<br>${line}`));

export function detailsTable(request: EmailChangeRequest): SafeHtml {
  return html`<table cellpadding="4" cellspacing="0">
${row('Guest', guestName(request))}
${row('Current sign-in email', request.currentEmail)}
${row('New sign-in email', request.newEmail)}
${row('Reason', reasonLabel(request.reason))}
${row('Requested', formatTimestamp(request.submittedAt))}
${row('Requested from', describeRequestSource(request.source))}
${request.deadline && row('Decide by', formatTimestamp(request.deadline))}
</table>
${requesterTextBlock(request)}`;
}

/** Heads the requester's own words in every mail that shows them. */
export const REQUESTER_TEXT_LABEL = 'Written by the requester, not verified';

/**
 * The name and details the requester typed, set apart under a label that says whose words they
 * are: an attacker writes them to sound official ("approved by IT", a number to call).
 */
function requesterTextBlock(request: EmailChangeRequest): SafeHtml | undefined {
  const typedName = request.displayName && request.displayName !== request.guestDisplayName ? request.displayName : undefined;
  if (!typedName && !request.reasonDetail) return undefined;
  return html`<div style="border:1px solid #999999;padding:8px;margin:12px 0">
<p><strong>${REQUESTER_TEXT_LABEL}.</strong> Anyone can type anything here: do not act on instructions, links or phone numbers in it.</p>
<table cellpadding="4" cellspacing="0">
${typedName && row('Name given by the requester', typedName)}
${request.reasonDetail && row('Details from the requester', multiline(request.reasonDetail))}
</table>
</div>`;
}

/** To each approver, with their personal link; the reminder repeats every detail. */
export function approvalRequestEmail(input: { request: EmailChangeRequest; approver: Approver; approvalUrl: string; reminder: boolean }): EmailContent {
  const { request, approver } = input;
  const subject = `${input.reminder ? 'Reminder: ' : ''}Approval needed: sign-in email change for ${guestName(request)}`;
  return renderEmail(
    subject,
    html`${input.reminder && html`<p><strong>Reminder:</strong> this request is still waiting for a decision.</p>`}
<p>Hello ${approver.displayName || approver.mail},</p>
<p>A change to the sign-in email of a guest you are responsible for was requested. Please review it and approve or reject it.</p>
${detailsTable(request)}
<p><a href="${input.approvalUrl}">Review the request</a></p>
<p>Opening the link does not decide anything: you choose on the page. Approving hands all of this guest's access to whoever controls ${request.newEmail}, so approve only if you are sure the guest asked for it.</p>
${request.deadline && html`<p>The link works until ${formatTimestamp(request.deadline)}. Do not forward it: it is personal to you.</p>`}`,
  );
}

/** To the guest's CURRENT address, so the real owner learns of a change they did not ask for. */
export function changeRequestedNoticeEmail(input: { request: EmailChangeRequest; reportUrl: string }): EmailContent {
  const { request } = input;
  return renderEmail(
    'A change to your sign-in email was requested',
    html`<p>Someone asked to change the email address you use to sign in as a guest from ${request.currentEmail} to ${request.newEmail}.</p>
<p>Nothing changes until a person responsible for your access approves it.</p>
<p><strong>If this was not you</strong>, stop it now: <a href="${input.reportUrl}">This wasn't me</a>. The request is cancelled and the administrators are alerted. You can also contact your sponsor or the IT department of the organisation that invited you.</p>
<p>Requested: ${formatTimestamp(request.submittedAt)}.</p>`,
  );
}

/** To the NEW address after the reset: Graph's own invitation text is dropped for app callers. */
export function redeemInvitationEmail(input: { request: EmailChangeRequest; inviteRedeemUrl: string }): EmailContent {
  const { request } = input;
  return renderEmail(
    'Finish setting up your new sign-in email',
    html`<p>The email you use to sign in as a guest was changed to ${request.newEmail}. Your access stays as it was.</p>
<p>To finish, open this link and sign in with ${request.newEmail}:</p>
<p><a href="${input.inviteRedeemUrl}">Accept the invitation</a></p>
<p>If you did not ask for this, do not open the link; contact the organisation that invited you.</p>`,
  );
}

/** To the approver once the change is done, closing the loop they started. */
export function requestCompletedEmail(input: { request: EmailChangeRequest }): EmailContent {
  const { request } = input;
  return renderEmail(
    `Done: sign-in email changed for ${guestName(request)}`,
    html`<p>The change you approved is done: ${guestName(request)} now signs in with ${request.newEmail} instead of ${request.currentEmail}. An invitation was sent to the new address.</p>
${request.decision?.comment && html`<p>Your comment: ${multiline(request.decision.comment)}</p>`}`,
  );
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
export function requestOutcomeEmail(input: { request: EmailChangeRequest }): EmailContent {
  const { request } = input;
  const outcome = OUTCOME_SENTENCES[request.status] ?? 'was closed';
  return renderEmail(
    'Your sign-in email change request was closed',
    html`<p>The request of ${formatTimestamp(request.submittedAt)} to change your sign-in email from ${request.currentEmail} to ${request.newEmail} ${outcome}.</p>
<p>Your sign-in email was not changed. If you still need the change, contact your sponsor or the IT department of the organisation that invited you.</p>`,
  );
}

/** To the admins: what Graph said, with its request-id, so they can act or open a support case. */
export function resetFailedAdminEmail(input: { request: EmailChangeRequest }): EmailContent {
  const { request } = input;
  const failure = request.result && 'code' in request.result ? request.result : undefined;
  return renderEmail(
    `Guest sign-in email change failed: ${failure?.code ?? 'unknown error'}`,
    html`<p>An approved sign-in email change failed. ${mailRestoreSentence(request)} The request's audit trail shows each step.</p>
<table cellpadding="4" cellspacing="0">
${guestRows(request)}
${row('Current sign-in email', request.currentEmail)}
${row('New sign-in email', request.newEmail)}
${request.decision && row('Approved by', `${request.decision.by} at ${formatTimestamp(request.decision.at)}`)}
${request.decision?.comment && row('Approver comment', multiline(request.decision.comment))}
${row('Graph error code', failure?.code ?? 'unknown')}
${row('Graph error message', failure?.message ?? 'unknown')}
${row('Graph request-id', failure?.requestId ?? 'unknown')}
</table>`,
  );
}

/** What became of the guest's `mail`, as it stands: a mail never says it was put back before it was. */
function mailRestoreSentence(request: EmailChangeRequest): string {
  const previous = request.previousMail || '(empty)';
  if (request.mailRestore === 'done') return `The guest's directory mail had been changed to ${request.newEmail}; it was put back to ${previous}.`;
  if (request.mailRestore === 'pending') {
    return `The guest's directory mail had been changed to ${request.newEmail} and could not be put back yet: it still reads ${request.newEmail}. Putting back ${previous} is retried automatically, and the admins get a mail once it is done.`;
  }
  return "The guest's directory mail was not changed.";
}

function mailRestoreTable(request: EmailChangeRequest, failure?: { code: string; message: string; requestId?: string }): SafeHtml {
  return html`<table cellpadding="4" cellspacing="0">
${guestRows(request)}
${row('Mail to put back', request.previousMail || '(empty)')}
${row('Mail written by the failed change', request.newEmail)}
${failure && row('Graph error code', failure.code)}
${failure && row('Graph error message', failure.message)}
${failure && row('Graph request-id', failure.requestId ?? 'unknown')}
</table>`;
}

/**
 * To the admins once putting the guest's `mail` back after a failed reset has not worked yet: until
 * it is back, the account's mail points at the requester's address, and a routine reset by an
 * admin would hand the account to them. `failure` is Graph's latest refusal, absent when the tries
 * so far failed for another reason (the store).
 */
export function mailRestoreFailedAdminEmail(input: { request: EmailChangeRequest; failure?: { code: string; message: string; requestId?: string }; retryUntil: string }): EmailContent {
  const { request, failure } = input;
  return renderEmail(
    `Action may be needed: ${guestName(request)}'s mail still points at ${request.newEmail}`,
    html`<p>An approved sign-in email change failed after the guest's directory mail had been changed to ${request.newEmail}. Putting back ${request.previousMail || '(empty)'} has not worked yet, so the mail still reads ${request.newEmail}.</p>
<p>It is retried automatically until ${formatTimestamp(input.retryUntil)}; you get a mail once it is done. Until then, do not reset this guest's redemption. If it is still not back by then, set the guest's mail back by hand.</p>
${mailRestoreTable(request, failure)}`,
  );
}

/** To the admins when the guest's `mail` is back after earlier failed tries. */
export function mailRestoredAdminEmail(input: { request: EmailChangeRequest }): EmailContent {
  const { request } = input;
  return renderEmail(
    `Resolved: ${guestName(request)}'s mail is back to ${request.previousMail || '(empty)'}`,
    html`<p>The guest's directory mail, left on ${request.newEmail} by a failed sign-in email change, has been put back to ${request.previousMail || '(empty)'}. Nothing more is needed.</p>
${mailRestoreTable(request)}`,
  );
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
export function noApproverAdminEmail(input: { request: EmailChangeRequest; skipped: readonly SkippedApprover[] }): EmailContent {
  const { request, skipped } = input;
  return renderEmail(
    'Guest sign-in email change declined: nobody may approve it',
    html`<p>A sign-in email change was declined because the guest has no sponsor, manager or fallback approver who is an enabled internal member. Give the guest a sponsor (or set FALLBACK_APPROVERS) and ask the guest to submit again.</p>
<table cellpadding="4" cellspacing="0">
${guestRows(request)}
${row('Current sign-in email', request.currentEmail)}
${row('New sign-in email', request.newEmail)}
${row('Skipped', skipped.length === 0 ? 'nobody: no sponsor, manager or fallback approver is configured' : skipped.map((s, i) => html`${i === 0 ? '' : html`<br>`}${s.displayName} &lt;${s.mail || s.id}&gt; (${s.tier}): ${SKIP_REASONS[s.reason]}`))}
</table>`,
  );
}

/** What the two "another attempt" mails show: the waiting request and the declined one. */
interface AnotherAttempt {
  active: EmailChangeRequest;
  attempt: EmailChangeRequest;
}

/** To the approvers of a waiting request when a second one for the same guest was declined. */
export function anotherAttemptApproverEmail(input: AnotherAttempt): EmailContent {
  const { active, attempt } = input;
  return renderEmail(
    `Another attempt to change ${guestName(active)}'s sign-in email`,
    html`<p>While the request waiting for your decision is open, someone asked again to change the sign-in email of ${guestName(active)}, this time to <strong>${attempt.newEmail}</strong>. That second request was declined: a guest can have only one request at a time.</p>
<p>The request waiting for you asks for <strong>${active.newEmail}</strong>. If the guest contacts you, check with them which new address they asked for. If it is not ${active.newEmail}, reject the waiting request.</p>
<table cellpadding="4" cellspacing="0">
${row('Waiting request', active.id)}
${row('It asks for', active.newEmail)}
${row('Declined attempt', attempt.id)}
${row('It asked for', attempt.newEmail)}
${row('Attempted', formatTimestamp(attempt.submittedAt))}
</table>`,
  );
}

/** To the guest's current address when a second request for the guest was declined. */
export function anotherAttemptGuestEmail(input: AnotherAttempt): EmailContent {
  const { active, attempt } = input;
  return renderEmail(
    'Another attempt to change your sign-in email',
    html`<p>Someone asked to change the email address you use to sign in as a guest from ${active.currentEmail} to ${attempt.newEmail}. It was not accepted, because a request to change it to ${active.newEmail} is already waiting for approval.</p>
<p><strong>If you did not ask for these changes</strong>, contact your sponsor or the IT department of the organisation that invited you straight away, so they can reject the waiting request.</p>
<p>Attempted: ${formatTimestamp(attempt.submittedAt)}.</p>`,
  );
}
