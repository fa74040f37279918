import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { createAntiForgeryValue, verifyAntiForgeryValue } from '../domain/approvalToken.js';
import type { Approver } from '../domain/request.js';
import { stripControlCharacters } from '../domain/validation.js';
import type { RequestStore, StoredApprovalToken } from '../store/requestStore.js';
import { approvalPage, decisionResultPage } from '../templates/pages.js';
import { EVENTS, type ApprovalDecisionEvent } from '../workflow/contract.js';
import { CLOSED, decisionOf, describeDecision, loadApprovalState } from './approvalState.js';
import { readBody } from './body.js';
import { findOrchestration, type HttpDependencies, type OrchestrationClient } from './dependencies.js';
import { HttpError, respondSafely } from './errors.js';
import { CANCEL_REQUESTED, claimOutcome, DECISION_RECEIVED } from './outcomeClaim.js';
import { pageResponse } from './security.js';

export const MAX_DECISION_COMMENT_LENGTH = 1000;

/** Instance states in which a raised event will still be read. */
const WAITING_RUNTIME_STATUSES = ['Running', 'Pending'];

/**
 * `GET /api/approvals/{token}`: the confirmation page. It never changes anything, because mail
 * scanners open links: the decision is the page's POST.
 */
export function showApproval(request: HttpRequest, context: InvocationContext, deps: HttpDependencies): Promise<HttpResponse> {
  return respondSafely(context, 'html', async () => {
    const state = await loadApprovalState(deps.store, request.params.token ?? '', deps.clock());
    if (state.kind !== 'open') throw new HttpError('Gone', state.explanation, { title: state.title });
    const { token, request: emailChange } = state;
    const page = approvalPage({
      request: emailChange,
      approver: approverOf(token, emailChange.approvers),
      action: new URL(request.url).pathname,
      csrf: createAntiForgeryValue(deps.settings.APPROVAL_FORM_SECRET, token.tokenHash),
    });
    return pageResponse(200, page);
  });
}

/**
 * `POST /api/approvals/{token}`: records the approver's decision and raises it on the waiting
 * instance. The first decision wins, for one approver's double click and across approvers.
 */
export function decideApproval(
  request: HttpRequest,
  context: InvocationContext,
  deps: HttpDependencies,
  client: OrchestrationClient,
): Promise<HttpResponse> {
  return respondSafely(context, 'html', async () => {
    const now = deps.clock();
    const state = await loadApprovalState(deps.store, request.params.token ?? '', now);
    const { fields } = await readBody(request);
    if (!verifyAntiForgeryValue(deps.settings.APPROVAL_FORM_SECRET, state.token.tokenHash, textOf(fields.csrf))) {
      throw new HttpError('Forbidden', 'This form could not be verified. Open the link from the email again and decide from that page.', {
        title: 'Form expired or not genuine',
      });
    }
    const { outcome, comment } = readDecision(fields);
    if (state.kind === 'decided') throw new HttpError('AlreadyDecided', state.explanation, { title: state.title });
    if (state.kind === 'closed') throw new HttpError('Gone', state.explanation, { title: state.title });
    await requireWaitingInstance(client, state.request.id);

    const { token, request: emailChange } = state;
    if (!(await deps.store.consumeApprovalToken(token.requestId, token.tokenHash, now.toISOString()))) {
      throw new HttpError('AlreadyDecided', 'This link was already used to decide this request.', { title: 'Already decided' });
    }
    const decision: ApprovalDecisionEvent = { outcome, approverId: token.approverId, approverMail: token.approverMail, at: now.toISOString() };
    if (comment) decision.comment = comment;
    await claimDecision(deps.store, decision, emailChange.id);
    await raiseDecision(deps.store, client, decision, emailChange.id);
    const decided = { ...emailChange, decision: { outcome, by: decision.approverMail, at: decision.at, ...(comment ? { comment } : {}) } };
    return pageResponse(200, decisionResultPage({ outcome, request: decided }));
  });
}

/**
 * Tokens are per approver, so consuming one does not stop a second approver, or an administrator
 * cancelling at the same moment: the outcome claim lets exactly one of them through.
 */
async function claimDecision(store: RequestStore, decision: ApprovalDecisionEvent, requestId: string): Promise<void> {
  const detail = { outcome: decision.outcome, approverId: decision.approverId, ...(decision.comment ? { comment: decision.comment } : {}) };
  const first = await claimOutcome(store, { requestId, at: decision.at, type: DECISION_RECEIVED, actor: decision.approverMail, detail });
  if (!first) return;
  const cancelled = first.type === CANCEL_REQUESTED;
  await store.appendEvent({
    requestId,
    id: `decision-ignored-${randomUUID()}`,
    at: decision.at,
    type: 'DecisionIgnored',
    actor: decision.approverMail,
    detail: { ...detail, reason: cancelled ? 'An administrator cancelled the request first.' : 'Another approver decided first.' },
  });
  if (cancelled) throw new HttpError('Gone', CLOSED.Cancelled.explanation, { title: CLOSED.Cancelled.title });
  throw new HttpError('AlreadyDecided', describeDecision(decisionOf(first)), { title: 'Already decided' });
}

/**
 * The instance may stop waiting between our check and the raise (its deadline fired): then the
 * approver is told the request closed, and the audit trail says the decision never arrived.
 */
async function raiseDecision(store: RequestStore, client: OrchestrationClient, decision: ApprovalDecisionEvent, requestId: string): Promise<void> {
  try {
    await client.raiseEvent(requestId, EVENTS.approvalDecision, decision);
  } catch (error) {
    await store.appendEvent({
      requestId,
      id: `decision-undelivered-${randomUUID()}`,
      at: decision.at,
      type: 'DecisionUndelivered',
      actor: decision.approverMail,
      detail: { outcome: decision.outcome, reason: error instanceof Error ? error.message : String(error) },
    });
    await requireWaitingInstance(client, requestId);
    throw error;
  }
}

async function requireWaitingInstance(client: OrchestrationClient, instanceId: string): Promise<void> {
  const orchestration = await findOrchestration(client, instanceId);
  if (!orchestration || !WAITING_RUNTIME_STATUSES.includes(orchestration.runtimeStatus)) {
    throw new HttpError('Gone', 'This request is no longer waiting for a decision.', { title: 'Request closed' });
  }
}

function readDecision(fields: Record<string, unknown>): { outcome: ApprovalDecisionEvent['outcome']; comment?: string } {
  const decision = textOf(fields.decision);
  if (decision !== 'approve' && decision !== 'reject') {
    throw new HttpError('ValidationFailed', 'Choose Approve or Reject.', { details: { decision: 'Choose approve or reject.' } });
  }
  const comment = stripControlCharacters(textOf(fields.comment), true).trim();
  if (Array.from(comment).length > MAX_DECISION_COMMENT_LENGTH) {
    throw new HttpError('ValidationFailed', `Keep the comment to at most ${MAX_DECISION_COMMENT_LENGTH} characters.`, {
      details: { comment: `At most ${MAX_DECISION_COMMENT_LENGTH} characters.` },
    });
  }
  return { outcome: decision === 'approve' ? 'approved' : 'rejected', ...(comment ? { comment } : {}) };
}

const textOf = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The approver as the request lists them; the token alone still names them if the list changed. */
function approverOf(token: StoredApprovalToken, approvers: readonly Approver[]): Approver {
  return approvers.find((a) => a.id === token.approverId) ?? { id: token.approverId, displayName: token.approverMail, mail: token.approverMail };
}
