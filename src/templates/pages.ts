import type { Approver, EmailChangeRequest } from '../domain/request.js';
import type { FieldErrors, SubmissionField } from '../domain/validation.js';
import { MAX_DISPLAY_NAME_LENGTH, MAX_REASON_DETAIL_LENGTH, SUBMISSION_FIELDS } from '../domain/validation.js';
import { characterCount } from './characterCount.js';
import { REQUESTER_TEXT_LABEL } from './emails.js';
import { html, type SafeHtml } from './escape.js';
import { REASON_LABELS, formatTimestamp, guestName, reasonLabel } from './format.js';
import { renderPage } from './layout.js';
import { describeRequestSource } from './requestSource.js';
import { shownEmail } from './shownEmail.js';

/** Server-rendered pages: each returns a complete HTML document with every value escaped. */

export { REASON_LABELS } from './format.js';

interface FieldSpec {
  name: SubmissionField;
  label: string;
  hint?: string;
  errors?: FieldErrors;
  /** Draws the control, given the attributes that tie it to its hint and error. */
  control: (aria: SafeHtml) => SafeHtml;
}

/** A labelled field whose hint and error message are announced with it (aria-describedby). */
function field({ name, label, hint, errors, control }: FieldSpec): SafeHtml {
  const error = errors?.[name];
  const describedBy = [hint && `${name}-hint`, error && `${name}-error`].filter(Boolean).join(' ');
  const aria = html`${describedBy && html` aria-describedby="${describedBy}"`}${error && html` aria-invalid="true"`}`;
  return html`<label for="${name}">${label}</label>
${hint && html`<p class="hint" id="${name}-hint">${hint}</p>
`}${control(aria)}
${error && html`<p class="error" id="${name}-error">${error}</p>
`}`;
}

const REQUEST_FORM_TITLE = 'Change your sign-in email';

/**
 * What went wrong, first on the page after the heading: each field's message links to the field,
 * and a problem with the whole submission (too many requests) stands alone. The browser focuses
 * it on load (`autofocus`, no script needed), so a keyboard or screen reader user starts there.
 */
function errorSummary(errors: FieldErrors, problem: string | undefined): SafeHtml {
  const fieldErrors = SUBMISSION_FIELDS.flatMap((name) => {
    const message = errors[name];
    return message ? [html`<li><a href="#${name}">${message}</a></li>`] : [];
  });
  return html`<div class="summary" role="alert" tabindex="-1" autofocus aria-labelledby="error-summary-title">
<h2 id="error-summary-title">There is a problem</h2>
<ul>
${problem && html`<li>${problem}</li>`}${fieldErrors}
</ul>
</div>`;
}

/**
 * The public request form; re-rendered with the submitted values after a 400 (a message at each
 * field) or a 429 (`problem`: when to try again). Either way the title starts with "Error:".
 */
export function requestFormPage(input: { values?: Record<string, string>; errors?: FieldErrors; problem?: string; action: string }): string {
  const value = (name: SubmissionField): string => {
    const v = input.values?.[name];
    return typeof v === 'string' ? v : '';
  };
  const errors = input.errors ?? {};
  const hasErrors = Boolean(input.problem) || Object.values(errors).some(Boolean);
  const selectedReason = value('reason');
  const reasonOptions = Object.entries(REASON_LABELS).map(
    ([reason, label]) => html`<option value="${reason}"${reason === selectedReason && html` selected`}>${label}</option>`,
  );

  const body = html`<h1>${REQUEST_FORM_TITLE}</h1>
<p>For guests of this organisation who need to sign in with a different email address. A person responsible for your access must approve the change before it happens.</p>
${hasErrors && errorSummary(errors, input.problem)}
<form method="post" action="${input.action}" novalidate>
${field({
  name: 'currentEmail',
  label: 'Current sign-in email',
  hint: 'The address you were invited with, or sign in with today.',
  errors,
  control: (aria) => html`<input id="currentEmail" name="currentEmail" type="email" inputmode="email" autocomplete="email" maxlength="254" value="${value('currentEmail')}"${aria}>`,
})}
${field({
  name: 'newEmail',
  label: 'New sign-in email',
  hint: 'The address you want to sign in with from now on. You will receive an invitation there.',
  errors,
  control: (aria) => html`<input id="newEmail" name="newEmail" type="email" inputmode="email" autocomplete="off" maxlength="254" value="${value('newEmail')}"${aria}>`,
})}
${field({
  name: 'reason',
  label: 'Reason',
  errors,
  control: (aria) => html`<select id="reason" name="reason"${aria}>
<option value=""${selectedReason === '' && html` selected`}>Choose a reason</option>
${reasonOptions}
</select>`,
})}
${field({
  name: 'reasonDetail',
  label: 'Details',
  hint: `Required when the reason is "Other". Anything that helps the approver recognise your request, in at most ${MAX_REASON_DETAIL_LENGTH} characters.`,
  errors,
  control: (aria) => html`<textarea id="reasonDetail" name="reasonDetail" maxlength="${MAX_REASON_DETAIL_LENGTH}"${aria}>${value('reasonDetail')}</textarea>
${characterCount('reasonDetail', MAX_REASON_DETAIL_LENGTH)}`,
})}
${field({
  name: 'displayName',
  label: 'Your name (optional)',
  errors,
  control: (aria) => html`<input id="displayName" name="displayName" type="text" autocomplete="name" maxlength="${MAX_DISPLAY_NAME_LENGTH}" value="${value('displayName')}"${aria}>`,
})}
<div class="actions"><button type="submit">Send request</button></div>
</form>`;
  return renderPage({ title: hasErrors ? `Error: ${REQUEST_FORM_TITLE}` : REQUEST_FORM_TITLE, body });
}

/**
 * Where the browser lands after a successful form post (303), so reload and Back never post
 * again. Said to every requester alike and carrying nothing in its URL: the new address gets its
 * mail (the confirmation link, or with confirmation off the tracking link) whether or not a guest
 * matches, so the page reveals nothing about the directory.
 */
export function requestReceivedPage(options: { confirmationRequired: boolean }): string {
  const steps = options.confirmationRequired
    ? html`<p>Thank you. <strong>Check the inbox of your new email address:</strong> we sent it a link to confirm that the address is yours. Nothing else happens until you open that link.</p>
<p>Once you have confirmed it, a person responsible for your access is asked to approve the change, and the mail tells you how to follow your request. Nothing changes until the change is approved.</p>`
    : html`<p>Thank you. <strong>Check the inbox of your new email address:</strong> we sent it a link to follow your request, and cancel it if you need to.</p>
<p>A person responsible for your access is asked to approve the change. Nothing changes until the change is approved.</p>`;
  return renderPage({
    title: 'Request received',
    body: html`<h1>Request received</h1>
${steps}
<p>No mail after a few minutes? Look in your junk mail folder. If you may have mistyped the new address, <a href="new">send the form again</a>.</p>`,
  });
}

/** What an approver must see to judge the request: who, what change, why, when and from where. */
function requestDetails(request: EmailChangeRequest): SafeHtml {
  return html`<dl>
<dt>Guest</dt><dd>${guestName(request)}</dd>
<dt>Current sign-in email</dt><dd>${shownEmail(request.currentEmail)}</dd>
<dt>New sign-in email</dt><dd><strong>${shownEmail(request.newEmail)}</strong></dd>
<dt>Reason</dt><dd>${reasonLabel(request.reason)}</dd>
<dt>Requested</dt><dd>${formatTimestamp(request.submittedAt)}</dd>
<dt>Requested from</dt><dd>${describeRequestSource(request.source)}</dd>
${request.deadline && html`<dt>Decide by</dt><dd>${formatTimestamp(request.deadline)}</dd>`}
</dl>
${requesterText(request)}`;
}

/**
 * The name and details the requester typed, set apart under the same label as in the mails: an
 * attacker writes them to sound official ("approved by IT", a number to call). A section named
 * by its heading, so a screen reader announces whose words these are before reading them.
 */
function requesterText(request: EmailChangeRequest): SafeHtml | undefined {
  const typedName = request.displayName && request.displayName !== request.guestDisplayName ? request.displayName : undefined;
  if (!typedName && !request.reasonDetail) return undefined;
  return html`<section class="warning" aria-labelledby="requester-text">
<h2 id="requester-text">${REQUESTER_TEXT_LABEL}</h2>
<p>Anyone can type anything here: do not act on instructions, links or phone numbers in it.</p>
<dl>
${typedName && html`<dt>Name given by the requester</dt><dd>${typedName}</dd>`}
${request.reasonDetail && html`<dt>Details from the requester</dt><dd class="detail">${request.reasonDetail}</dd>`}
</dl>
</section>`;
}

/**
 * Who looks at the approval page: the approver (signed in, or anyone with
 * `APPROVER_SIGN_IN=off`), shown the decision form; someone signed out, offered sign-in instead;
 * or someone signed in as another user, told so and offered to sign in as the approver. Only the
 * approver gets a form, so nobody else holds an anti-forgery value.
 */
export type ApprovalPageViewer =
  | { state: 'mayDecide'; action: string; csrf: string }
  | { state: 'signedOut'; signInUrl: string }
  | { state: 'someoneElse'; signedInAs: string; expected: string; signOutUrl: string };

/**
 * The approval confirmation page. Opening it never decides (mail scanners prefetch links); the
 * decision is the POST from one of its buttons, carrying the anti-forgery value.
 */
export function approvalPage(input: { request: EmailChangeRequest; approver: Approver; viewer: ApprovalPageViewer }): string {
  const { request, approver, viewer } = input;
  // Someone known not to be the approver (a forwarded link) learns nothing of the request.
  if (viewer.state === 'someoneElse') return renderPage({ title: 'Signed in as someone else', body: someoneElseNotice(viewer) });
  const body = html`<h1>Approve a sign-in email change?</h1>
<p>${approver.displayName || approver.mail}, you are asked because you are responsible for this guest's access.</p>
${requestDetails(request)}
<div class="warning" role="note"><p><strong>Approve only if you are sure the guest asked for this.</strong></p>
<p>Approving hands all of this guest's access to whoever controls <strong>${shownEmail(request.newEmail)}</strong>. If in doubt, reach the guest through a channel you already know before you decide.</p></div>
${viewer.state === 'mayDecide' ? decisionForm(viewer.action, viewer.csrf) : signInOffer(viewer.signInUrl)}`;
  return renderPage({ title: 'Approve a sign-in email change?', body });
}

/** Instead of the buttons: a link alone would let anyone holding it decide. */
function signInOffer(signInUrl: string): SafeHtml {
  return html`<h2>Sign in to decide</h2>
<p>To approve or reject, sign in with your work account: only the person this link was sent to can decide.</p>
<p><a href="${signInUrl}">Sign in to decide</a></p>`;
}

/** Instead of the buttons: someone else's decision would be refused, and a form would only arm a forgery. */
function someoneElseNotice(viewer: Extract<ApprovalPageViewer, { state: 'someoneElse' }>): SafeHtml {
  return html`<h1>Signed in as someone else</h1>
<div class="summary" role="alert"><p><strong>You are signed in as ${viewer.signedInAs}.</strong> This link was sent to ${viewer.expected}, and only they can decide.</p></div>
<p><a href="${viewer.signOutUrl}">Sign out, then sign in as ${viewer.expected}</a></p>`;
}

function decisionForm(action: string, csrf: string): SafeHtml {
  return html`<form method="post" action="${action}">
<input type="hidden" name="csrf" value="${csrf}">
<label for="comment">Comment (optional)</label>
<textarea id="comment" name="comment" maxlength="${MAX_REASON_DETAIL_LENGTH}"></textarea>
<div class="actions">
<button type="submit" name="decision" value="approve" class="approve">Approve</button>
<button type="submit" name="decision" value="reject" class="reject">Reject</button>
</div>
</form>`;
}

/**
 * A refused decision whose way on is a link: sign in (401), or sign out and in as the approver
 * the link was sent to (403).
 */
export function approverSignInPage(input: { title: string; message: string; link: { href: string; label: string } }): string {
  return renderPage({
    title: input.title,
    body: html`<h1>${input.title}</h1>
<p>${input.message}</p>
<p><a href="${input.link.href}">${input.link.label}</a></p>`,
  });
}

/**
 * An address shown to someone who is not its owner: enough to recognise, not to harvest
 * (`megan.bowen@contoso.com` → `m***@contoso.com`).
 */
export function maskEmail(mail: string): string {
  const at = mail.lastIndexOf('@');
  if (at < 1) return '***';
  return `${mail.slice(0, 1)}***${mail.slice(at)}`;
}

/** Shown after the approver's POST was accepted. */
export function decisionResultPage(input: { outcome: 'approved' | 'rejected'; request: EmailChangeRequest }): string {
  const { outcome, request } = input;
  const comment = request.decision?.comment;
  const commentBlock = comment && html`<p>Your comment:</p><p class="detail">${comment}</p>`;
  if (outcome === 'approved') {
    return renderPage({
      title: 'Change approved',
      body: html`<h1>Change approved</h1>
<p>The sign-in email of ${guestName(request)} will change from ${shownEmail(request.currentEmail)} to <strong>${shownEmail(request.newEmail)}</strong>. An invitation will be sent to the new address, and you will be emailed when the change is done.</p>
${commentBlock}`,
    });
  }
  return renderPage({
    title: 'Change rejected',
    body: html`<h1>Change rejected</h1>
<p>Nothing changes for ${guestName(request)}: the sign-in email stays ${shownEmail(request.currentEmail)}. The current address will be told that the request was not approved.</p>
${commentBlock}`,
  });
}

/** Plain message pages: not found, already decided, expired or finished, bad request, errors. */
export function messagePage(input: { title: string; message: string }): string {
  return renderPage({ title: input.title, body: html`<h1>${input.title}</h1>
<p>${input.message}</p>` });
}
