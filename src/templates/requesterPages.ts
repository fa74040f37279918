import type { EmailChangeRequest } from '../domain/request.js';
import type { TrackingStatus } from '../domain/trackingStatus.js';
import { html, type SafeHtml } from './escape.js';
import { formatTimestamp } from './format.js';
import { renderPage } from './layout.js';
import { describeRequestSource } from './requestSource.js';
import { shownEmail } from './shownEmail.js';

/**
 * The pages behind the requester's and the owner's links (DESIGN §4): the new address's
 * confirmation, the tracking page and "this wasn't me". Each shows only what its reader already
 * knows (the two addresses they typed or own, when and from where it was asked), never what the
 * directory holds, and each action is a POST from its own form with an anti-forgery value.
 */

/**
 * The change as the requester typed it; the guest's directory name is never shown here. Where it
 * was asked from (an address and a device) is the requester's own data: shown to the requester,
 * not to whoever reads the current mailbox, who may be someone else entirely (a former employer).
 */
function askedChange(request: EmailChangeRequest, reader: 'requester' | 'owner'): SafeHtml {
  return html`<dl>
<dt>${request.status === 'Completed' ? 'Previous' : 'Current'} sign-in email</dt><dd>${shownEmail(request.currentEmail)}</dd>
<dt>New sign-in email</dt><dd><strong>${shownEmail(request.newEmail)}</strong></dd>
<dt>Requested</dt><dd>${formatTimestamp(request.submittedAt)}</dd>
${reader === 'requester' && html`<dt>Requested from</dt><dd>${describeRequestSource(request.source)}</dd>`}
</dl>`;
}

function actionForm(action: string, csrf: string, button: { label: string; className?: string; name?: string; value?: string }): SafeHtml {
  return html`<form method="post" action="${action}">
<input type="hidden" name="csrf" value="${csrf}">
<div class="actions">
<button type="submit"${button.className && html` class="${button.className}"`}${button.name && html` name="${button.name}" value="${button.value ?? ''}"`}>${button.label}</button>
</div>
</form>`;
}

/** `GET /api/confirmations/{token}`: what is asked, and the button that confirms it. */
export function confirmationPage(input: { request: EmailChangeRequest; action: string; csrf: string; expiresAt: string }): string {
  const { request } = input;
  return renderPage({
    title: 'Confirm your request',
    body: html`<h1>Confirm your request</h1>
<p>Confirm that you asked to sign in with <strong>${shownEmail(request.newEmail)}</strong> from now on. Only then are the people responsible for the account asked to approve it.</p>
${askedChange(request, 'requester')}
${actionForm(input.action, input.csrf, { label: 'Yes, I asked for this', className: 'approve' })}
<p class="hint">If you did not ask for this, close this page: without confirmation the request expires at ${formatTimestamp(input.expiresAt)} and nothing changes.</p>`,
  });
}

/** The answer to a confirmation: what happens next, and the private tracking link. */
export function confirmedPage(input: { request: EmailChangeRequest; trackUrl: string }): string {
  return renderPage({
    title: 'Request confirmed',
    body: html`<h1>Request confirmed</h1>
<p>Thank you. If the account can be changed this way, the people responsible for it are now asked to approve the change. When it is made, ${shownEmail(input.request.newEmail)} gets an email with how to sign in.</p>
<p>Follow your request, or cancel it, on its tracking page. The link is private: keep it to yourself.</p>
<p><a href="${input.trackUrl}">Track your request</a></p>
<p class="hint">Reference: ${input.request.id}</p>`,
  });
}

const NEXT_STEP: Record<TrackingStatus['label'], string> = {
  'Waiting for you to confirm': 'Open the confirmation link we emailed to the new address. Nobody is asked to approve the change before you confirm it.',
  'In review': 'The people responsible for the account are asked to approve the change. If it is approved, the new address gets an email with how to sign in. Nothing is needed from you.',
  Completed: 'The change was made. The new address was sent an email with how to sign in.',
  Closed: 'The request was closed without a change. If you still need one, submit a new request.',
};

/** `GET /api/track/{token}`: the reference, a coarse status, the deadline, the next step, Cancel. */
export function trackPage(input: { request: EmailChangeRequest; status: TrackingStatus; cancel?: { action: string; csrf: string } }): string {
  const { request, status } = input;
  return renderPage({
    title: 'Your request',
    body: html`<h1>Your sign-in email change request</h1>
<dl>
<dt>Reference</dt><dd>${request.id}</dd>
<dt>Status</dt><dd><strong>${status.label}</strong></dd>
${status.deadline && html`<dt>${status.label === 'Waiting for you to confirm' ? 'Confirm by' : 'Decision due by'}</dt><dd>${formatTimestamp(status.deadline)}</dd>`}
<dt>New sign-in email</dt><dd>${shownEmail(request.newEmail)}</dd>
<dt>Requested</dt><dd>${formatTimestamp(request.submittedAt)}</dd>
</dl>
<h2>What happens next</h2>
<p>${NEXT_STEP[status.label]}</p>
${input.cancel && html`<h2>Changed your mind?</h2>
<p>Cancelling stops the request; nothing changes.</p>
${actionForm(input.cancel.action, input.cancel.csrf, { label: 'Cancel the request', className: 'reject', name: 'action', value: 'cancel' })}`}`,
  });
}

/** After the requester's cancel (202). */
export function requestCancelledPage(input: { request: EmailChangeRequest }): string {
  return renderPage({
    title: 'Request cancelled',
    body: html`<h1>Request cancelled</h1>
<p>Your request to sign in with ${shownEmail(input.request.newEmail)} is cancelled. Nothing changes.</p>
<p class="hint">Reference: ${input.request.id}</p>`,
  });
}

/**
 * What becomes of an owner's report with the admins: with `ADMIN_NOTIFICATION_EMAILS` set they are
 * alerted by mail; without, nobody is mailed and the report waits in the console for them.
 */
export interface ReportReach {
  adminsAlerted: boolean;
}

/** Where the owner of the current address can turn besides this service. */
const CONTACT = 'contact your sponsor or the IT department of the organisation that invited you';

/** What the owner's report can still do, by the request's state when the page is opened. */
function reportPageText(request: EmailChangeRequest, adminsAlerted: boolean): { situation: SafeHtml; ifNotYou: string; button: string } {
  const recorded = 'your report is recorded for the administrators, who see it in their console';
  const change = html`from ${shownEmail(request.currentEmail)} to ${shownEmail(request.newEmail)}`;
  switch (request.status) {
    case 'Received':
    case 'AwaitingConfirmation':
    case 'AwaitingApproval':
      return {
        situation: html`Someone asked to change the email address you use to sign in as a guest ${change}.`,
        ifNotYou: `someone may be trying to take over your access. Stop it here: the request is cancelled and ${adminsAlerted ? 'the administrators are alerted' : recorded}.`,
        button: "This wasn't me: stop it",
      };
    case 'Approved':
    case 'Completed':
      return {
        situation:
          request.status === 'Completed'
            ? html`The email address you use to sign in as a guest was changed ${change}, after a person responsible for your access approved the request.`
            : html`A person responsible for your access approved changing the email address you use to sign in as a guest ${change}; the change is being made.`,
        ifNotYou: `someone may have taken over your access. It can no longer be stopped here, but it can be undone: report it here and ${
          adminsAlerted ? 'the administrators are alerted at once to check your account' : `${recorded}, but nobody is alerted by email, so please also ${CONTACT}`
        }.`,
        button: "This wasn't me: report it",
      };
    default:
      return {
        situation: html`Someone asked to change the email address you use to sign in as a guest ${change}. ${ENDED[request.status]}`,
        ifNotYou: `you can still report it here: ${adminsAlerted ? 'the administrators are alerted' : recorded}.`,
        button: "This wasn't me: report it",
      };
  }
}

/** A request that ended without being made, in the owner's words (nothing about the directory). */
const ENDED: Record<Exclude<EmailChangeRequest['status'], 'Received' | 'AwaitingConfirmation' | 'AwaitingApproval' | 'Approved' | 'Completed'>, string> = {
  Failed: 'It was approved, but the change could not be made.',
  Rejected: 'It was turned down, so your sign-in email was not changed.',
  Cancelled: 'It was cancelled, so your sign-in email was not changed.',
  Expired: 'It expired without a decision, so your sign-in email was not changed.',
  Declined: 'It was closed, so your sign-in email was not changed.',
};

/**
 * `GET /api/reports/{token}`: the owner of the current address sees what was asked and what
 * became of it, and can stop it while it is undecided, or report it after.
 */
export function reportPage(input: { request: EmailChangeRequest; action: string; csrf: string } & ReportReach): string {
  const { request } = input;
  const text = reportPageText(request, input.adminsAlerted);
  return renderPage({
    title: "Did you ask for this?",
    body: html`<h1>Did you ask for this change?</h1>
<p>${text.situation}</p>
${askedChange(request, 'owner')}
<div class="warning" role="note"><p><strong>If this was not you</strong>, ${text.ifNotYou}</p></div>
${actionForm(input.action, input.csrf, { label: text.button, className: 'reject' })}
<p class="hint">If you did ask for it, close this page.</p>`,
  });
}

/** After the owner's report: stopped, or too late to stop and the admins alerted (or, with nobody to alert, the report recorded). */
export function reportResultPage(input: { stopped: boolean; completed: boolean } & ReportReach): string {
  if (input.stopped) {
    return renderPage({
      title: 'Request stopped',
      body: html`<h1>Request stopped</h1>
<p>Thank you. The request was cancelled: your sign-in email was not changed. ${
        input.adminsAlerted
          ? 'The administrators and the people asked to approve it were alerted.'
          : 'The people asked to approve it were told, and your report is recorded for the administrators, who see it in their console.'
      }</p>`,
    });
  }
  const why = input.completed ? 'The change had already been made' : 'The request was no longer waiting for a decision';
  if (!input.adminsAlerted) {
    return renderPage({
      title: 'Report recorded',
      body: html`<h1>Report recorded</h1>
<p>Thank you. ${why}, so it could not be stopped here. Your report is recorded for the administrators, who see it in their console${input.completed ? ' and can undo the change' : ''}, but nobody is alerted by email: please also ${CONTACT} now.</p>`,
    });
  }
  return renderPage({
    title: 'Administrators alerted',
    body: html`<h1>Administrators alerted</h1>
<p>Thank you. ${why}, so the administrators were alerted to ${input.completed ? 'check your account and undo it' : 'check it'}. If you can, also ${CONTACT}.</p>`,
  });
}
