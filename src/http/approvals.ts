import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { createAntiForgeryValue, verifyAntiForgeryValue } from '../domain/approvalToken.js';
import type { Approver } from '../domain/request.js';
import { stripControlCharacters } from '../domain/validation.js';
import { claimOutcome, DECISION_RECEIVED } from '../store/outcomeClaim.js';
import type { RequestStore, StoredApprovalToken } from '../store/requestStore.js';
import { approvalPage, decisionResultPage } from '../templates/pages.js';
import { EVENTS, type ApprovalDecisionEvent } from '../workflow/contract.js';
import { claimedOutcome, loadApprovalState } from './approvalState.js';
import { readBody } from './body.js';
import { findOrchestration, type HttpDependencies, type OrchestrationClient } from './dependencies.js';
import { HttpError, respondSafely } from './errors.js';
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
 * instance. The first decision wins, for one approver's double click and across approvers; a
 * genuine attempt refused because the request was decided or closed is audited, so a late or
 * second-guessing approver leaves a trace.
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
    const { token, request: emailChange } = state;
    const decision: ApprovalDecisionEvent = { outcome, approverId: token.approverId, approverMail: token.approverMail, at: now.toISOString() };
    if (comment) decision.comment = comment;
    try {
      if (state.kind !== 'open') throw refusal(state);
      await requireWaitingInstance(client, emailChange.id);
      if (!(await deps.store.consumeApprovalToken(token.requestId, token.tokenHash, decision.at))) {
        throw new HttpError('AlreadyDecided', 'This link was already used to decide this request.', { title: 'Already decided' });
      }
      // Tokens are per approver: the outcome claim is what stops a second approver, an admin's
      // cancel or the deadline arriving in the same instant.
      const first = await claimOutcome(deps.store, { requestId: emailChange.id, at: decision.at, type: DECISION_RECEIVED, actor: decision.approverMail, detail: detailOf(decision) });
      if (first) throw refusal(claimedOutcome(first));
    } catch (error) {
      if (error instanceof HttpError) await audit(deps.store, emailChange.id, decision, 'DecisionIgnored', error.message);
      throw error;
    }
    await raiseDecision(deps.store, client, decision, emailChange.id);
    const decided = { ...emailChange, decision: { outcome, by: decision.approverMail, at: decision.at, ...(comment ? { comment } : {}) } };
    return pageResponse(200, decisionResultPage({ outcome, request: decided }));
  });
}

const refusal = (state: { kind: 'decided' | 'closed'; title: string; explanation: string }) =>
  new HttpError(state.kind === 'decided' ? 'AlreadyDecided' : 'Gone', state.explanation, { title: state.title });

const detailOf = (decision: ApprovalDecisionEvent) => ({
  outcome: decision.outcome,
  approverId: decision.approverId,
  ...(decision.comment ? { comment: decision.comment } : {}),
});

function audit(store: RequestStore, requestId: string, decision: ApprovalDecisionEvent, type: string, reason: string): Promise<boolean> {
  return store.appendEvent({ requestId, id: `${type}-${randomUUID()}`, at: decision.at, type, actor: decision.approverMail, detail: { ...detailOf(decision), reason } });
}

/**
 * The instance may stop waiting between our check and the raise: then the approver is told the
 * request closed, and the audit trail says the decision never arrived.
 */
async function raiseDecision(store: RequestStore, client: OrchestrationClient, decision: ApprovalDecisionEvent, requestId: string): Promise<void> {
  try {
    await client.raiseEvent(requestId, EVENTS.approvalDecision, decision);
  } catch (error) {
    await audit(store, requestId, decision, 'DecisionUndelivered', error instanceof Error ? error.message : String(error));
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
