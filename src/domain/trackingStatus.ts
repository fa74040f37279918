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

export function trackingStatusOf(request: EmailChangeRequest, now: Date, policy: { confirmationRequired: boolean; approvalTimeoutMs: number }): TrackingStatus {
  const waiting = (label: TrackingLabel, deadline?: string): TrackingStatus => ({ label, cancellable: true, ...(deadline ? { deadline } : {}) });
  switch (request.status) {
    case 'Received':
      return waiting(policy.confirmationRequired ? 'Waiting for you to confirm' : 'In review');
    case 'AwaitingConfirmation':
      return request.confirmedAt ? waiting('In review') : waiting('Waiting for you to confirm', request.deadline);
    case 'AwaitingApproval':
      return waiting('In review', request.deadline);
    case 'Approved':
      return { label: 'In review', cancellable: false };
    case 'Declined': {
      const wouldExpire = new Date(Date.parse(request.updatedAt) + policy.approvalTimeoutMs);
      return now < wouldExpire ? waiting('In review', wouldExpire.toISOString()) : { label: 'Closed', cancellable: false };
    }
    case 'Completed':
      return { label: 'Completed', cancellable: false };
    default:
      return { label: 'Closed', cancellable: false };
  }
}
