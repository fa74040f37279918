import { REQUEST_STATUSES, type AuditEvent, type EmailChangeRequest } from '../domain/request.js';
import { actorInWords, describeAuditEvent, isDescribedAuditEvent } from './auditTimeline.js';
import { html, type SafeHtml } from './escape.js';
import { formatTimestamp, reasonLabel } from './format.js';
import { renderPage } from './layout.js';
import { describeRequestSource } from './requestSource.js';

/**
 * The admin console's pages (DESIGN §4, `GET /api/admin/`): the list with its figures and
 * filters, a request with its timeline and actions, and each action's confirmation step. Plain
 * links and forms, no script: every control is reachable by keyboard, and tables scroll sideways
 * on a phone inside a focusable region.
 */

export const CONSOLE_HOME = '/api/admin/';
export const consoleRequestPath = (id: string) => `/api/admin/console/requests/${encodeURIComponent(id)}`;
export const consoleActionPath = (id: string, action: string) => `${consoleRequestPath(id)}/${encodeURIComponent(action)}`;
export const CONSOLE_EXPORT_PATH = '/api/admin/console/export';

/** `path`, with `?query` when there is one. */
export const withQuery = (path: string, query: URLSearchParams): string => (query.size > 0 ? `${path}?${query.toString()}` : path);

function consolePage(title: string, body: SafeHtml, signedInAs: string): string {
  return renderPage({
    title: `${title} · Admin console`,
    wide: true,
    body: html`<nav class="crumbs" aria-label="Console"><a href="${CONSOLE_HOME}">All requests</a> · <span>Signed in as ${signedInAs}</span> · <a href="/.auth/logout?post_logout_redirect_uri=${encodeURIComponent(CONSOLE_HOME)}">Sign out</a></nav>
${body}`,
  });
}

/** A figure at the top of the list, linking to the requests it counts. */
export interface FigureView {
  label: string;
  count: number;
  atLeast: boolean;
  filters: Record<string, string>;
}

export interface ListPageInput {
  signedInAs: string;
  figures: FigureView[];
  /** The form's values as sent, to show them again. */
  form: URLSearchParams;
  items: EmailChangeRequest[];
  /** Why the filters could not be applied, per parameter: then there are no items. */
  problems?: Record<string, string>;
  nextPage?: string;
  exportHref: string;
}

/** `GET /api/admin/`: figures, the search form, one page of requests newest first. */
export function consoleListPage(input: ListPageInput): string {
  const { form } = input;
  const chosen = new Set(form.getAll('status').flatMap((s) => s.split(',')).map((s) => s.trim().toLowerCase()));
  const value = (name: string) => form.get(name) ?? '';
  const figures = input.figures.map(
    (figure) => html`<li><a href="${withQuery(CONSOLE_HOME, new URLSearchParams(figure.filters))}"><strong>${figure.count}${figure.atLeast ? '+' : ''}</strong> ${figure.label}</a></li>`,
  );
  const problems = input.problems && Object.entries(input.problems);
  const rows = input.items.map(
    (r) => html`<tr>
<td><a href="${consoleRequestPath(r.id)}">${formatTimestamp(r.submittedAt)}</a></td>
<td>${r.status}${r.declineReason && html` (${r.declineReason})`}${r.reportedByOwner && html` · reported by owner`}</td>
<td>${r.currentEmail}</td>
<td>${r.newEmail}</td>
<td>${r.guestDisplayName ?? r.guestId ?? ''}</td>
</tr>`,
  );
  return consolePage(
    'Requests',
    html`<h1>Email change requests</h1>
<ul class="figures">
${figures}
</ul>
${problems && html`<div class="summary" role="alert" tabindex="-1" autofocus aria-labelledby="problem-title">
<h2 id="problem-title">These filters cannot be applied</h2>
<ul>${problems.map(([name, message]) => html`<li>${name}: ${message}</li>`)}</ul>
</div>`}
<form method="get" action="${CONSOLE_HOME}" class="filters" role="search" aria-label="Filter requests">
<div><label for="email">Email starts with</label><p class="hint" id="email-hint">Current or new address, any case.</p><input id="email" name="email" type="search" value="${value('email')}" aria-describedby="email-hint" autocomplete="off"></div>
<div><label for="guestId">Guest object id</label><input id="guestId" name="guestId" value="${value('guestId')}" autocomplete="off"></div>
<div><label for="from">Submitted from</label><input id="from" name="from" type="date" value="${value('from')}"></div>
<div><label for="to">Submitted until</label><input id="to" name="to" type="date" value="${value('to')}"></div>
<fieldset class="choices"><legend>Status (any of)</legend>
${REQUEST_STATUSES.map((status) => html`<label><input type="checkbox" name="status" value="${status}"${chosen.has(status.toLowerCase()) && html` checked`}> ${status}</label>`)}
</fieldset>
<div><label><input type="checkbox" name="reportedByOwner" value="true"${form.get('reportedByOwner') && html` checked`}> Reported by the owner ("this wasn't me")</label></div>
<div class="actions"><button type="submit">Search</button><a class="button secondary" href="${CONSOLE_HOME}">Clear</a><a class="button secondary" href="${input.exportHref}">Export these as CSV</a></div>
</form>
<h2 id="results">${input.items.length === 0 ? 'No matching requests' : `Requests, newest first`}</h2>
${
  input.items.length > 0 &&
  html`<div class="scroll" role="region" aria-labelledby="results" tabindex="0">
<table>
<thead><tr><th scope="col">Submitted</th><th scope="col">Status</th><th scope="col">Current email</th><th scope="col">New email</th><th scope="col">Guest</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</div>`
}
${input.nextPage && html`<p><a href="${input.nextPage}" rel="next">Next page</a></p>`}`,
    input.signedInAs,
  );
}

/** An action as the request page offers it: a link to its confirmation step, or why not now. */
export interface ActionView {
  label: string;
  href: string;
  unavailable?: string;
}

export interface RequestPageInput {
  signedInAs: string;
  request: EmailChangeRequest;
  events: AuditEvent[];
  orchestration: { runtimeStatus: string; customStatus: unknown; createdTime: string; lastUpdatedTime: string } | undefined;
  actions: ActionView[];
  /** What an action just did (after its 303). */
  notice?: string;
}

/**
 * Who did it, in words. An admin's display name is not unique (anyone may be named "Megan Bowen"),
 * so the user name the event keeps comes first, the name beside it.
 */
function actorOf(event: AuditEvent): string {
  const username = event.detail?.username;
  if (typeof username !== 'string' || username === event.actor) return actorInWords(event.actor);
  return `${username} (${event.actor})`;
}

/** `GET /api/admin/console/requests/{id}`: the request, its timeline, its workflow, its actions. */
export function consoleRequestPage(input: RequestPageInput): string {
  const { request: r, orchestration } = input;
  const result =
    r.result &&
    ('invitationId' in r.result
      ? `Invitation ${r.result.invitationId}`
      : `${r.result.code}: ${r.result.message}${r.result.requestId ? ` (Graph request-id ${r.result.requestId})` : ''}${r.result.transient ? '. Graph kept failing with a passing fault: the reset may be retried.' : ''}`);
  const events = input.events.map(
    (event) => html`<li><p><strong>${describeAuditEvent(event)}</strong></p>
<p class="hint">${formatTimestamp(event.at)} · by ${actorOf(event)}${!isDescribedAuditEvent(event.type) && event.detail && html` · ${JSON.stringify(event.detail)}`}</p></li>`,
  );
  return consolePage(
    `Request ${r.id}`,
    html`<h1>Request to change ${r.currentEmail}</h1>
${input.notice && html`<div class="notice" role="status"><p>${input.notice}</p></div>`}
<dl>
<dt>Status</dt><dd><strong>${r.status}</strong>${r.declineReason && html` (${r.declineReason})`}${r.cancelledBy && html` by the ${r.cancelledBy}`}${r.reportedByOwner && html` · the owner of the current address said "this wasn't me"`}</dd>
<dt>Reference</dt><dd>${r.id}</dd>
<dt>Current email</dt><dd>${r.currentEmail}</dd>
<dt>New email</dt><dd>${r.newEmail}</dd>
<dt>Reason</dt><dd>${reasonLabel(r.reason)}${r.reasonDetail && html`<br><span class="detail">${r.reasonDetail}</span>`}</dd>
<dt>Guest</dt><dd>${r.guestId ? html`${r.guestDisplayName ?? ''} (${r.guestId})` : 'Not resolved'}</dd>
<dt>Approvers</dt><dd>${r.approvers.length > 0 ? r.approvers.map((a) => `${a.displayName} <${a.mail}>`).join(', ') : 'None yet'}</dd>
<dt>Submitted</dt><dd>${formatTimestamp(r.submittedAt)} from ${describeRequestSource(r.source)}</dd>
${r.confirmedAt && html`<dt>Confirmed by the new address</dt><dd>${formatTimestamp(r.confirmedAt)}</dd>`}
${r.deadline && html`<dt>Approval deadline</dt><dd>${formatTimestamp(r.deadline)}</dd>`}
${r.decision && html`<dt>Decision</dt><dd>${r.decision.outcome} by ${r.decision.by} at ${formatTimestamp(r.decision.at)}${r.decision.comment && html`: "${r.decision.comment}"`}</dd>`}
${result && html`<dt>Result</dt><dd>${result}</dd>`}
${r.mailRestore && html`<dt>Guest's mail put back</dt><dd>${r.mailRestore === 'done' ? 'Done' : 'Pending: retried until it succeeds'}</dd>`}
${r.cancelReason && html`<dt>Cancel reason</dt><dd>${r.cancelReason}</dd>`}
<dt>Last updated</dt><dd>${formatTimestamp(r.updatedAt)}</dd>
</dl>
<h2>Actions</h2>
<ul class="action-list">
${input.actions.map((a) => (a.unavailable ? html`<li><span>${a.label}</span>: <span class="hint">not now. ${a.unavailable}</span></li>` : html`<li><a class="button" href="${a.href}">${a.label}…</a></li>`))}
</ul>
<h2>Workflow</h2>
${
  orchestration
    ? html`<dl>
<dt>Runtime status</dt><dd>${orchestration.runtimeStatus}</dd>
<dt>Custom status</dt><dd>${orchestration.customStatus === null || orchestration.customStatus === undefined ? 'None' : JSON.stringify(orchestration.customStatus)}</dd>
<dt>Started</dt><dd>${formatTimestamp(orchestration.createdTime)}</dd>
<dt>Last updated</dt><dd>${formatTimestamp(orchestration.lastUpdatedTime)}</dd>
</dl>`
    : html`<p>No workflow instance exists for this request (purged, or never started).</p>`
}
<h2>Timeline</h2>
${input.events.length > 0 ? html`<ol class="timeline">\n${events}\n</ol>` : html`<p>Nothing recorded yet.</p>`}`,
    input.signedInAs,
  );
}

export interface ConfirmPageInput {
  signedInAs: string;
  request: EmailChangeRequest;
  title: string;
  consequence: string;
  fields: { name: string; label: string; hint: string; maxLength: number; singleLine?: boolean; value: string; error?: string }[];
  action: string;
  csrf: string;
}

/** An action's confirmation step: what it will do, its fields, and the one button that does it. */
export function consoleConfirmPage(input: ConfirmPageInput): string {
  const errors = input.fields.filter((f) => f.error);
  return consolePage(
    `${errors.length > 0 ? 'Error: ' : ''}${input.title}`,
    html`<h1>${input.title}?</h1>
${
  errors.length > 0 &&
  html`<div class="summary" role="alert" tabindex="-1" autofocus aria-labelledby="error-summary-title">
<h2 id="error-summary-title">There is a problem</h2>
<ul>${errors.map((f) => html`<li><a href="#${f.name}">${f.error}</a></li>`)}</ul>
</div>`
}
<p>Request ${input.request.id}: ${input.request.currentEmail} to ${input.request.newEmail}, ${input.request.status}.</p>
<p>${input.consequence}</p>
<form method="post" action="${input.action}">
<input type="hidden" name="csrf" value="${input.csrf}">
${input.fields.map(
  (f) => html`<label for="${f.name}">${f.label}</label>
<p class="hint" id="${f.name}-hint">${f.hint}</p>
${
    f.singleLine
      ? html`<input id="${f.name}" name="${f.name}" type="text" maxlength="${f.maxLength}" required autocomplete="off" value="${f.value}" aria-describedby="${f.name}-hint${f.error ? ` ${f.name}-error` : ''}"${f.error && html` aria-invalid="true"`}>`
      : html`<textarea id="${f.name}" name="${f.name}" maxlength="${f.maxLength}" required aria-describedby="${f.name}-hint${f.error ? ` ${f.name}-error` : ''}"${f.error && html` aria-invalid="true"`}>${f.value}</textarea>`
  }
${f.error && html`<p class="error" id="${f.name}-error">${f.error}</p>`}`,
)}
<div class="actions"><button type="submit" class="reject">Confirm: ${input.title}</button><a class="button secondary" href="${consoleRequestPath(input.request.id)}">Back, do nothing</a></div>
</form>`,
    input.signedInAs,
  );
}
