import { reportLinkExpiry } from '../domain/linkLifetimes.js';
import { createLinkToken } from '../domain/linkToken.js';
import { ownerAddresses, type Approver, type AuditEvent, type EmailChangeRequest } from '../domain/request.js';
import { newLink, mintLink, type NewLink } from '../store/mintLink.js';
import { recordedClaim } from '../store/outcomeClaim.js';
import type { StoredApprovalToken } from '../store/requestStore.js';
import { approvalRequestEmail, changeRequestedNoticeEmail } from '../templates/emails.js';
import { GraphRequestError } from '../graph/graphGateway.js';
import { auditEvent, type ActivityDependencies } from './activityDependencies.js';
import { reportReachOf } from './adminAlerts.js';
import { recordMailFailure, sendOrFailAudited } from './mailFailure.js';
import { mailOnceFor } from './mailOnce.js';

/** Approval links made before the request's write that saves their hashes, by approver key. */
export interface ApprovalLinks {
  approvals: Map<string, { url: string; token: StoredApprovalToken }>;
  report: NewLink;
}

const approverKey = (approver: Approver) => approver.id || approver.mail;

/**
 * Fresh single-use links for every approver (expiring at the deadline) and the owner's report
 * link, to be saved with the write that moves the request to `AwaitingApproval`, so the mails that
 * follow need no write of their own.
 */
export function newApprovalLinks(deps: ActivityDependencies, requestId: string, approvers: readonly Approver[], deadline: string): ApprovalLinks {
  const approvals = new Map(approvers.map((approver) => [approverKey(approver), approvalLink(deps, requestId, approver, deadline)] as const));
  const report = newLink(deps.settings.PUBLIC_BASE_URL, { requestId, purpose: 'report', expiresAt: reportLinkExpiry(deadline) });
  return { approvals, report };
}

export const tokensOf = (links: ApprovalLinks) => [...[...links.approvals.values()].map((link) => link.token), links.report.token];

function approvalLink(deps: ActivityDependencies, requestId: string, approver: Approver, deadline: string) {
  const { token, tokenHash } = createLinkToken(requestId);
  const stored: StoredApprovalToken = { requestId, tokenHash, approverId: approver.id, approverMail: approver.mail, expiresAt: deadline };
  return { url: `${deps.settings.PUBLIC_BASE_URL}/api/approvals/${token}`, token: stored };
}

/**
 * Mails each approver a personal single-use link (only its hash is stored, expiring at the
 * deadline); the first round also warns the guest's current address, with a "this wasn't me"
 * link; the reminder round sends fresh links with the reminder wording, and a reminder Graph
 * refuses is audited (`MailFailed`) instead of failing the round. Mails already sent (by an
 * earlier run, per `events`) are skipped; links not given in `links` are minted and saved here.
 */
export async function askApprovers(
  deps: ActivityDependencies,
  request: EmailChangeRequest,
  events: readonly AuditEvent[],
  round: { deadline: string; reminder: boolean; links?: ApprovalLinks },
): Promise<void> {
  const { store, settings } = deps;
  const { deadline, reminder, links } = round;
  const requestId = request.id;
  const mailOnce = await mailOnceFor(deps, requestId, events, { deferMarkers: true });
  try {
    const reminded: string[] = [];
    for (const [index, approver] of request.approvers.entries()) {
      const key = approverKey(approver);
      const mailKey = `${reminder ? 'reminder' : 'approval'}:${key}`;
      const send = () =>
        mailOnce(mailKey, [approver.mail], async () => {
          let link = links?.approvals.get(key);
          if (!link) {
            link = approvalLink(deps, requestId, approver, deadline);
            await store.saveApprovalToken(link.token);
          }
          return approvalRequestEmail({ request, approver, approvalUrl: link.url, reminder });
        });
      if (!reminder) {
        await sendOrFailAudited(deps, requestId, events, mailKey, send);
        continue;
      }
      // A throttled mail can hold the round for a while: nobody is reminded once the deadline
      // passed, or a decision or a cancel came in meanwhile (before the first, the caller looked).
      if (!(await stillWaiting(deps, requestId, deadline, { readTrail: index > 0 }))) break;
      try {
        await send();
        reminded.push(approver.mail);
      } catch (error) {
        // A reminder is best effort: the first round's links still work, so a refused reminder is
        // audited and the wait goes on to the deadline. Failing the step would end an undecided
        // request as Failed. Storage faults still fail the step.
        if (!(error instanceof GraphRequestError)) throw error;
        await recordMailFailure(deps, requestId, events, mailKey, error);
      }
    }
    if (reminder) {
      if (reminded.length > 0) await store.appendEvent(auditEvent(deps, requestId, 'reminder', 'ReminderSent', 'system', { approvers: reminded }));
      return;
    }
    await sendOrFailAudited(deps, requestId, events, 'change-requested', () =>
      mailOnce('change-requested', ownerAddresses(request), async () => {
        const reportExpiresAt = reportLinkExpiry(deadline);
        const reportUrl = links?.report.url ?? (await mintLink(store, settings.PUBLIC_BASE_URL, { requestId, purpose: 'report', expiresAt: reportExpiresAt }));
        return changeRequestedNoticeEmail({ request, reportUrl, reportExpiresAt, ...reportReachOf(settings) });
      }),
    );
  } finally {
    await mailOnce.flush();
  }
}

/** The request still waits for a decision: its deadline ahead and (`readTrail`) no decision or cancel recorded. */
async function stillWaiting(deps: ActivityDependencies, requestId: string, deadline: string, options: { readTrail: boolean }): Promise<boolean> {
  if (deps.clock().getTime() >= Date.parse(deadline)) return false;
  return !options.readTrail || !recordedClaim(await deps.store.listEvents(requestId));
}
