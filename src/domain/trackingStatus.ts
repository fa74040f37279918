import type { EmailChangeRequest } from './request.js';

/**
 * The requester's view of a request (DESIGN §4, tracking page): four coarse words, so the page
 * says nothing about the directory. A declined request (no such guest, not eligible, nobody to
 * approve) reads exactly like one that waits for approvers who never answer: "In review" until
 * its approval deadline would have passed, then "Closed".
 */
export type TrackingLabel = 'Waiting for you to confirm' | 'In review' | 'Completed' | 'Closed';

export interface TrackingStatus {
  label: TrackingLabel;
  /** When the current wait ends (ISO), if the requester is waiting for something. */
  deadline?: string;
  /** Whether the page offers Cancel: the request looks undecided. */
  cancellable: boolean;
}

/**
 * `cancelled`: a cancel was claimed for the request (its requester's, say), which a declined
 * request records but whose status it keeps. The review deadline shown is counted from the
 * confirmation (or the submission, without one) for every request under review, so it cannot
 * tell how long the directory took to answer either.
 */
export function trackingStatusOf(
  request: EmailChangeRequest,
  now: Date,
  policy: { confirmationRequired: boolean; approvalTimeoutMs: number },
  cancelled = false,
): TrackingStatus {
  const waiting = (label: TrackingLabel, deadline?: string): TrackingStatus => ({ label, cancellable: true, ...(deadline ? { deadline } : {}) });
  const reviewEnds = new Date(Date.parse(request.confirmedAt ?? request.submittedAt) + policy.approvalTimeoutMs);
  const inReview = () => waiting('In review', reviewEnds.toISOString());
  switch (request.status) {
    case 'Received':
      return policy.confirmationRequired ? waiting('Waiting for you to confirm') : inReview();
    case 'AwaitingConfirmation':
      return request.confirmedAt ? inReview() : waiting('Waiting for you to confirm', request.deadline);
    case 'AwaitingApproval':
      return inReview();
    case 'Approved':
      return { label: 'In review', cancellable: false };
    case 'Declined':
      return now < reviewEnds && !cancelled ? inReview() : { label: 'Closed', cancellable: false };
    case 'Completed':
      return { label: 'Completed', cancellable: false };
    default:
      return { label: 'Closed', cancellable: false };
  }
}
