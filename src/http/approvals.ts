import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import { approversFrom, isEligibleApproverNow } from '../activities/resolveApprovers.js';
import { createAntiForgeryValue, NO_SIGN_IN_VIEWER, verifyAntiForgeryValue } from '../domain/linkToken.js';
import { approverSkipReason } from '../domain/approvers.js';
import { logAndStoreError, storedErrorText } from '../domain/errorText.js';
import type { Approver, EmailChangeRequest } from '../domain/request.js';
import { stripControlCharacters } from '../domain/validation.js';
import type { DirectoryUser } from '../graph/graphGateway.js';
import { claimOutcomeWithToken, DECISION_RECEIVED } from '../store/outcomeClaim.js';
import type { RequestStore, StoredApprovalToken } from '../store/requestStore.js';
import { approvalPage, approverSignInPage, decisionResultPage, maskEmail, type ApprovalPageViewer } from '../templates/pages.js';
import { EVENTS, type ApprovalDecisionEvent } from '../workflow/contract.js';
import { acceptedUnappliedDecision, claimedOutcome, loadApprovalState, type ApprovalState } from './approvalState.js';
import { signedInUser, type SignedInUser } from './approverIdentity.js';
import { readBody } from './body.js';
import { findOrchestration, isRunning, type HttpDependencies, type OrchestrationClient } from './dependencies.js';
import { HttpError, respondSafely } from './errors.js';
import { requireOwnOrigin } from './ownOrigin.js';
import { RAISE_RETRY_PAUSES_MS } from './raiseEventPatiently.js';
import { pageResponse } from './security.js';

export const MAX_DECISION_COMMENT_LENGTH = 1000;

/**
 * `GET /api/approvals/{token}`: the confirmation page. It never decides, because mail scanners
 * open links: the decision is the page's POST, whose form only the approver is shown. It does
 * deliver again a decision accepted earlier that the instance may not have received.
 */
export function showApproval(request: HttpRequest, context: InvocationContext, deps: HttpDependencies, client: OrchestrationClient): Promise<HttpResponse> {
  return respondSafely(context, 'html', async () => {
    const state = await loadApprovalState(deps.store, request.params.token ?? '', deps.clock(), (token) => viewerOf(request, deps, token).kind === 'approver');
    if (state.kind !== 'open') {
      await redeliverAcceptedDecision(context, client, state);
      throw new HttpError('Gone', state.explanation, { title: state.title });
    }
    const { token, request: emailChange } = state;
    const path = new URL(request.url).pathname;
    const viewer = viewerOf(request, deps, token);
    const pageViewer: ApprovalPageViewer =
      viewer.kind === 'signedOut'
        ? { state: 'signedOut', signInUrl: signInUrl(path) }
        : viewer.kind === 'someoneElse'
          ? { state: 'someoneElse', signedInAs: viewer.user.name, expected: maskEmail(token.approverMail), signOutUrl: signOutUrl(path) }
          : { state: 'mayDecide', action: path, csrf: createAntiForgeryValue(deps.settings.APPROVAL_FORM_SECRET, token.tokenHash, antiForgeryViewerOf(viewer, token)) };
    const page = approvalPage({ request: emailChange, approver: approverOf(token, emailChange.approvers), viewer: pageViewer });
    return pageResponse(viewer.kind === 'someoneElse' ? 403 : 200, page);
  });
}

/**
 * `POST /api/approvals/{token}`: records the approver's decision and raises it on the waiting
 * instance. Only the approver the link was sent to, signed in (`APPROVER_SIGN_IN=required`) and
 * still an approver by the directory at this moment, decides. The first decision wins, for one
 * approver's double click and across approvers; a genuine attempt refused because the request
 * was decided or closed is audited, so a late or second-guessing approver leaves a trace.
 */
export function decideApproval(
  request: HttpRequest,
  context: InvocationContext,
  deps: HttpDependencies,
  client: OrchestrationClient,
): Promise<HttpResponse> {
  return respondSafely(context, 'html', async () => {
    // Before anything is read or audited: another site must not be able to write to the trail.
    requireOwnOrigin(request, deps.settings.PUBLIC_BASE_URL, {
      title: 'Not sent from the approval page',
      message: 'This decision was not sent from the approval page, so nothing was recorded. Open the link from the email and decide on that page.',
    });
    const now = deps.clock();
    const readerIsApprover = (token: StoredApprovalToken) => viewerOf(request, deps, token).kind === 'approver';
    const state = await loadApprovalState(deps.store, request.params.token ?? '', now, readerIsApprover);
    await redeliverAcceptedDecision(context, client, state);
    const viewer = viewerOf(request, deps, state.token);
    const notTheApprover = viewer.kind === 'signedOut' || viewer.kind === 'someoneElse';
    // Before the form check: nobody but the approver is shown the form, so others have no anti-forgery value.
    if (state.kind === 'open' && notTheApprover) return refuseOtherViewers(request, deps, state.token, viewer, now);
    const { fields } = await readBody(request);
    if (!verifyAntiForgeryValue(deps.settings.APPROVAL_FORM_SECRET, state.token.tokenHash, antiForgeryViewerOf(viewer, state.token), textOf(fields.csrf))) {
      throw new HttpError('Forbidden', 'This form could not be verified. Open the link from the email again and decide from that page.', {
        title: 'Form expired or not genuine',
      });
    }
    // A request past deciding says so to anyone holding the link, as its page does; only the
    // approver's own attempt is audited, so nobody else can write to the trail in their name.
    if (state.kind !== 'open' && notTheApprover) throw refusal(state);
    const { outcome, comment } = readDecision(fields);
    const { token, request: emailChange } = state;
    const decision: ApprovalDecisionEvent = { outcome, approverId: token.approverId, approverMail: token.approverMail, at: now.toISOString() };
    if (comment) decision.comment = comment;
    await auditedIfIgnored(deps.store, emailChange.id, decision, async () => {
      if (state.kind !== 'open') throw refusal(state);
      await requireWaitingInstance(client, emailChange.id);
    });
    // Before anything is consumed or claimed: a refused approver leaves the request waiting for the others.
    await requireStillAnApprover(deps, emailChange, decision);
    await auditedIfIgnored(deps.store, emailChange.id, decision, async () => {
      // Tokens are per approver: the outcome claim, written with the token's use, is what stops a
      // second approver, an admin's cancel or the deadline arriving in the same instant.
      const claim = { requestId: emailChange.id, at: decision.at, type: DECISION_RECEIVED, actor: decision.approverMail, detail: detailOf(decision) } as const;
      const first = await claimOutcomeWithToken(deps.store, state, claim);
      if (first === 'tokenSpent') {
        // A double click, or an admin revoked the link since it was read (replaced this approver, sent new links): it says which.
        const spent = await loadApprovalState(deps.store, request.params.token ?? '', now, readerIsApprover);
        if (spent.kind !== 'open') throw refusal(spent);
        throw new HttpError('AlreadyDecided', 'This link was already used to decide this request.', { title: 'Already decided' });
      }
      if (first) throw refusal(claimedOutcome(first, emailChange, token.approverMail));
    });
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

/** Runs a step whose refusal (an `HttpError`) is audited as `DecisionIgnored`. */
async function auditedIfIgnored(store: RequestStore, requestId: string, decision: ApprovalDecisionEvent, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (error instanceof HttpError) await audit(store, requestId, decision, 'DecisionIgnored', error.message);
    throw error;
  }
}

type Viewer = { kind: 'approver'; objectId: string } | { kind: 'signInOff' } | { kind: 'signedOut' } | { kind: 'someoneElse'; user: SignedInUser };

/** Who opened or posted the approval page, measured against the approver the link was sent to. */
function viewerOf(request: HttpRequest, deps: HttpDependencies, token: StoredApprovalToken): Viewer {
  if (deps.settings.APPROVER_SIGN_IN === 'off') return { kind: 'signInOff' };
  const user = signedInUser(request, deps.settings.ADMIN_TENANT_ID, deps.platformAuthenticationOn);
  if (!user) return { kind: 'signedOut' };
  return user.objectId === token.approverId.trim().toLowerCase() ? { kind: 'approver', objectId: user.objectId } : { kind: 'someoneElse', user };
}

/**
 * Whom the anti-forgery value is bound to: the signed-in approver, the only viewer shown the form,
 * or nobody in particular with sign-in off. Anyone else can only post on a request already past
 * deciding (to be told what happened, nothing recorded), and is held to the approver's value.
 */
function antiForgeryViewerOf(viewer: Viewer, token: StoredApprovalToken): string {
  if (viewer.kind === 'signInOff') return NO_SIGN_IN_VIEWER;
  return viewer.kind === 'approver' ? viewer.objectId : token.approverId.trim().toLowerCase();
}

/**
 * The page a decision gets when nobody, or somebody else, is signed in. Someone else's attempt is
 * audited with who they are: a forwarded link being used.
 */
async function refuseOtherViewers(
  request: HttpRequest,
  deps: HttpDependencies,
  token: StoredApprovalToken,
  viewer: Extract<Viewer, { kind: 'signedOut' | 'someoneElse' }>,
  now: Date,
): Promise<HttpResponse> {
  const path = new URL(request.url).pathname;
  if (viewer.kind === 'signedOut') {
    return pageResponse(
      401,
      approverSignInPage({
        title: 'Sign-in required',
        message: 'To approve or reject, sign in with your work account as the person this link was sent to. You will come back to the request.',
        link: { href: signInUrl(path), label: 'Sign in to decide' },
      }),
    );
  }
  const expected = maskEmail(token.approverMail);
  await deps.store.appendEvent({
    requestId: token.requestId,
    id: `DecisionRefused-${randomUUID()}`,
    at: now.toISOString(),
    type: 'DecisionRefused',
    actor: viewer.user.name,
    detail: { reason: 'SignedInAsSomeoneElse', signedInId: viewer.user.objectId, approverId: token.approverId },
  });
  return pageResponse(
    403,
    approverSignInPage({
      title: 'Signed in as someone else',
      message: `You are signed in as ${viewer.user.name}, but this link was sent to ${expected}. Only they can decide; nothing was recorded.`,
      link: { href: signOutUrl(path), label: `Sign out, then sign in as ${expected}` },
    }),
  );
}

/** Why an approver may no longer decide, for the audit trail and the page. */
const NO_LONGER_ELIGIBLE = {
  NotInDirectory: 'your account is no longer in the directory',
  AccountDisabled: 'your account is disabled',
  NotAMember: 'your account is not a member of the organisation',
  GuestNotFound: 'the guest is no longer in the directory',
  NoLongerAnApprover: "you are no longer the guest's sponsor, a member of a sponsoring group, their manager or a fallback approver",
  NotAssignable: "your account is the guest's, or receives mail at the request's old or new address",
} as const;
type NoLongerEligibleReason = keyof typeof NO_LONGER_ELIGIBLE;

/**
 * The approver is checked against the directory as it is now, not as it was when the link was
 * mailed: still an enabled member and still among the request's approvers. A refusal is
 * audited (`ApproverNoLongerEligible`) and leaves the token, the outcome and the instance
 * untouched, so the other approvers can still decide.
 */
async function requireStillAnApprover(deps: HttpDependencies, request: EmailChangeRequest, decision: ApprovalDecisionEvent): Promise<void> {
  const reason = await whyNoLongerAnApprover(deps, request, decision.approverId);
  if (!reason) return;
  await audit(deps.store, request.id, decision, 'ApproverNoLongerEligible', reason);
  throw new HttpError('Forbidden', `You can no longer decide this request: ${NO_LONGER_ELIGIBLE[reason]}. Nothing was recorded; the request still waits for its other approvers.`, {
    title: 'No longer an approver',
  });
}

/**
 * The happy path is one Graph read: the guest with its sponsors, each sponsor with its state, so a
 * sponsor who decides is checked from that answer alone. The manager and the other tiers are read
 * only when the approver is not an eligible sponsor, and the approver alone only to name the
 * reason for a refusal.
 */
async function whyNoLongerAnApprover(deps: HttpDependencies, request: EmailChangeRequest, approverId: string): Promise<NoLongerEligibleReason | undefined> {
  const id = approverId.trim().toLowerCase();
  // Replaced by an admin (`reassign`): a live link (a resend racing the reassign) must not count.
  if (!request.approvers.some((a) => a.id.toLowerCase() === id)) return 'NoLongerAnApprover';
  const found = request.guestId ? await deps.graph.getUserWithSponsors(request.guestId) : undefined;
  if (!found) return 'GuestNotFound';
  const { user: guest, sponsors } = found;
  // An approver an admin assigned (stored on the request, audited) stands by that assignment
  // instead of the tiers, held to the same rules as anyone else.
  if (request.approvers.some((a) => a.assigned && a.id.toLowerCase() === id)) {
    const approver = await deps.graph.getUser(approverId);
    if (!approver) return 'NotInDirectory';
    const standing = whyNotInGoodStanding(approver);
    if (standing) return standing;
    const context = { guest: { id: guest.id, mail: guest.mail, otherMails: guest.otherMails }, excludedEmails: [request.currentEmail, request.newEmail] };
    return approverSkipReason(context, approversFrom([approver])[0]!) ? 'NotAssignable' : undefined;
  }
  if (await isEligibleApproverNow(deps.graph, deps.settings, { guest, sponsors, request }, id)) return undefined;
  const approver = await deps.graph.getUser(approverId);
  return approver ? (whyNotInGoodStanding(approver) ?? 'NoLongerAnApprover') : 'NotInDirectory';
}

/** The approver's own state, when that alone rules them out. */
function whyNotInGoodStanding(approver: DirectoryUser): NoLongerEligibleReason | undefined {
  if (approver.accountEnabled !== true) return 'AccountDisabled';
  if (approver.userType !== 'Member') return 'NotAMember';
  return undefined;
}

/** The platform's sign-in (`/.auth/login/aad`), coming back to the approval page. */
const signInUrl = (path: string) => `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(path)}`;
const signOutUrl = (path: string) => `/.auth/logout?post_logout_redirect_uri=${encodeURIComponent(path)}`;

/**
 * Raises the accepted decision, trying again after short pauses while the instance still waits.
 * The instance may stop waiting between our check and the raise: then the approver is told the
 * request closed. Either way a raise that never succeeded is audited (`DecisionUndelivered`); the
 * decision is already recorded, and opening the link again raises it again.
 */
async function raiseDecision(store: RequestStore, client: OrchestrationClient, decision: ApprovalDecisionEvent, requestId: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.raiseEvent(requestId, EVENTS.approvalDecision, decision);
      return;
    } catch (error) {
      // A status that cannot be read either counts as still waiting: the decision is tried again,
      // and at worst reported as not yet passed on, which the next visit of the link repairs.
      const waiting = await isWaiting(client, requestId).catch((statusError: unknown) => {
        console.error(`Reading the status of request ${requestId} after a failed raise failed`, statusError);
        return true;
      });
      const pause = RAISE_RETRY_PAUSES_MS[attempt];
      if (waiting && pause !== undefined) {
        await sleep(pause);
        continue;
      }
      await audit(store, requestId, decision, 'DecisionUndelivered', storedErrorText(logAndStoreError(error, console.error)));
      if (!waiting) throw noLongerWaiting();
      throw new HttpError('InternalError', 'Your decision was recorded but could not be passed on yet. Open the link from the email again in a few minutes: that passes it on.', {
        title: 'Decision recorded, not yet passed on',
        cause: error,
      });
    }
  }
}

/**
 * Raises again a decision that its link accepted earlier but the orchestrator has not applied,
 * whenever the link is opened or posted while the instance still waits: if the first raise failed,
 * the decision would otherwise take effect only at the deadline. Raising twice is harmless, the
 * orchestrator takes the first. A failure here leaves the page as it is; the next visit tries again.
 */
async function redeliverAcceptedDecision(context: InvocationContext, client: OrchestrationClient, state: ApprovalState): Promise<void> {
  const decision = acceptedUnappliedDecision(state);
  if (!decision) return;
  try {
    if (await isWaiting(client, state.request.id)) await client.raiseEvent(state.request.id, EVENTS.approvalDecision, decision);
  } catch (error) {
    context.error(`Raising the accepted decision on request ${state.request.id} again failed`, error);
  }
}

async function isWaiting(client: OrchestrationClient, instanceId: string): Promise<boolean> {
  return isRunning(await findOrchestration(client, instanceId));
}

async function requireWaitingInstance(client: OrchestrationClient, instanceId: string): Promise<void> {
  if (!(await isWaiting(client, instanceId))) throw noLongerWaiting();
}

const noLongerWaiting = () => new HttpError('Gone', 'This request is no longer waiting for a decision.', { title: 'Request closed' });

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
