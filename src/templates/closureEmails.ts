import type { Approver, EmailChangeRequest } from '../domain/request.js';
import { html } from './escape.js';
import { detailsTable, guestRows, multiline, renderEmail, row, type EmailContent } from './emails.js';
import { formatTimestamp, guestName } from './format.js';

/**
 * The mails that give every person an ending (DESIGN §2): the new address confirms and can track,
 * the current address hears that the change was made or stopped, every approver hears how a
 * request ended, and the admins hear of an owner's "this wasn't me".
 */

/**
 * To the NEW address right after submission, whether or not the guest exists: the form's answer
 * reveals nothing, and nobody is asked before the address is shown to be the requester's.
 */
export function newAddressConfirmationEmail(input: { request: EmailChangeRequest; confirmUrl: string; trackUrl: string; expiresAt: string }): EmailContent {
  const { request } = input;
  return renderEmail(
    'Confirm your sign-in email change request',
    html`<p>Someone, hopefully you, asked to make ${request.newEmail} the email address a guest account signs in with, instead of ${request.currentEmail}.</p>
<p>If you asked for it, confirm it: <a href="${input.confirmUrl}">Confirm the request</a></p>
<p>Nothing happens until you confirm, and nobody is asked to approve it before then. The link works until ${formatTimestamp(input.expiresAt)}; after that the request expires.</p>
<p>Follow your request, or cancel it, here: <a href="${input.trackUrl}">Track the request</a></p>
<p>You got this mail because this address was given as the new sign-in email. If you did not ask for it, ignore this mail: nothing will change.</p>`,
  );
}

/** To the NEW address when confirmation is turned off: the requester's tracking link. */
export function requestReceivedEmail(input: { request: EmailChangeRequest; trackUrl: string }): EmailContent {
  const { request } = input;
  return renderEmail(
    'Your sign-in email change request was received',
    html`<p>A request to make ${request.newEmail} the email address a guest account signs in with, instead of ${request.currentEmail}, was received.</p>
<p>Follow your request, or cancel it, here: <a href="${input.trackUrl}">Track the request</a></p>
<p>You got this mail because this address was given as the new sign-in email. If you did not ask for it, cancel the request on that page.</p>`,
  );
}

/** Who ended a request, as an approver reads it; "you" for the approver who decided. */
function endedBy(request: EmailChangeRequest, approver: Approver): string {
  if (request.status === 'Cancelled') {
    if (request.cancelledBy === 'requester') return 'cancelled by the requester';
    if (request.cancelledBy === 'owner') return "stopped by the owner of the current address, who reported that they did not ask for it";
    return 'cancelled by an administrator';
  }
  if (request.status === 'Expired') return 'closed because nobody decided before the deadline';
  const decision = request.decision;
  if (!decision) return 'closed';
  const by = decision.by.toLowerCase() === approver.mail.toLowerCase() ? 'you' : decision.by;
  return `${decision.outcome} by ${by} at ${formatTimestamp(decision.at)}`;
}

/**
 * To each approver when a request they were asked about ended without needing them: another
 * approver decided, it was cancelled, or it expired. Their link stops working; this says why.
 */
export function requestEndedApproverEmail(input: { request: EmailChangeRequest; approver: Approver }): EmailContent {
  const { request, approver } = input;
  const how = endedBy(request, approver);
  const done = request.status === 'Completed';
  return renderEmail(
    `${done ? 'Done' : 'Closed'}: sign-in email change for ${guestName(request)}`,
    html`<p>Hello ${approver.displayName || approver.mail},</p>
<p>The request to change the sign-in email of ${guestName(request)} from ${request.currentEmail} to ${request.newEmail} was ${how}.${done ? html` The guest now signs in with ${request.newEmail}.` : html` The guest's sign-in email was not changed.`}</p>
${request.status === 'Cancelled' && request.cancelledBy === 'admin' && request.cancelReason && html`<p>Reason given: ${multiline(request.cancelReason)}</p>`}
<p>You got this mail because you were asked to approve this request. Its link no longer works; nothing more is needed from you.</p>
${detailsTable(request)}`,
  );
}

/**
 * To the CURRENT address once the change was made: the second half of the takeover alarm. Its
 * "this wasn't me" link still alerts the admins, who can undo it.
 */
export function changeMadeOwnerEmail(input: { request: EmailChangeRequest; reportUrl: string }): EmailContent {
  const { request } = input;
  return renderEmail(
    'Your sign-in email was changed',
    html`<p>The email address you use to sign in as a guest was changed from ${request.currentEmail} to ${request.newEmail}, after a person responsible for your access approved the request of ${formatTimestamp(request.submittedAt)}.</p>
<p>From now on, sign in with ${request.newEmail}; this address no longer signs you in.</p>
<p><strong>If this was not you</strong>, tell the administrators now: <a href="${input.reportUrl}">This wasn't me</a>. You can also contact your sponsor or the IT department of the organisation that invited you.</p>
<p>You got this mail because this address was the account's sign-in email.</p>`,
  );
}

/** To the CURRENT address when the request its owner reported was stopped. */
export function reportedRequestStoppedOwnerEmail(input: { request: EmailChangeRequest }): EmailContent {
  const { request } = input;
  return renderEmail(
    'The sign-in email change you reported was stopped',
    html`<p>You reported that you did not ask to change your sign-in email from ${request.currentEmail} to ${request.newEmail}. The request was stopped: your sign-in email was not changed, and the administrators were alerted.</p>
<p>You got this mail because you used the "This wasn't me" link sent to this address. Nothing more is needed from you.</p>`,
  );
}

/**
 * To the admins when the owner of the current address says "this wasn't me": an attempted or
 * completed takeover. `stopped` tells which: the request was still undecided and is cancelled, or
 * it had already gone further and someone must look at the account now.
 */
export function ownerReportAdminEmail(input: { request: EmailChangeRequest; reportedAt: string; stopped: boolean }): EmailContent {
  const { request, stopped } = input;
  return renderEmail(
    `${stopped ? 'Stopped' : 'Action needed'}: the owner of ${request.currentEmail} reported a sign-in email change they did not ask for`,
    html`<p>At ${formatTimestamp(input.reportedAt)} the owner of ${request.currentEmail} reported that they did not ask to change the guest's sign-in email to ${request.newEmail}.</p>
<p>${stopped ? 'The request was still undecided and was cancelled; the approvers were told. Check who submitted it (the request shows where from).' : html`The request was already <strong>${request.status}</strong>, so nothing was stopped. ${request.status === 'Completed' ? 'The guest now signs in with the new address: check the account and undo the change if the report is genuine.' : 'Check the account and the request.'}`}</p>
<table cellpadding="4" cellspacing="0">
${guestRows(request)}
${row('Current sign-in email', request.currentEmail)}
${row('New sign-in email', request.newEmail)}
${row('Status', request.status)}
${request.decision && row('Decided by', `${request.decision.by} at ${formatTimestamp(request.decision.at)}`)}
</table>`,
  );
}
