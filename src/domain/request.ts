import type { StoredError } from './errorText.js';

/** The email-change request: its statuses, reasons and shape, shared by every layer. */

export const REQUEST_STATUSES = [
  'Received',
  'AwaitingConfirmation',
  'AwaitingApproval',
  'Approved',
  'Completed',
  'Failed',
  'Rejected',
  'Expired',
  'Cancelled',
  'Declined',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** Statuses after which nothing more happens to a request. */
export const FINAL_STATUSES: readonly RequestStatus[] = ['Completed', 'Failed', 'Rejected', 'Expired', 'Cancelled', 'Declined'];
export const isFinal = (status: RequestStatus): boolean => FINAL_STATUSES.includes(status);

export const DECLINE_REASONS = [
  'GuestNotFound',
  'NotAGuest',
  'HasDirectoryRole',
  'AccountDisabled',
  'NoApprover',
  'DuplicateActiveRequest',
  'DomainNotAllowed',
] as const;
export type DeclineReason = (typeof DECLINE_REASONS)[number];

export const CHANGE_REASONS = ['ChangedProvider', 'AccountRecreated', 'MovedCompany', 'ResponsibilitiesTransferred', 'Other'] as const;
export type ChangeReason = (typeof CHANGE_REASONS)[number];

/** What the requester submits (after validation and normalisation: emails trimmed and lower-cased). */
export interface EmailChangeSubmission {
  currentEmail: string;
  newEmail: string;
  reason: ChangeReason;
  reasonDetail?: string;
  displayName?: string;
}

/** Where a request came from, shown to the approver ("when and from where it was asked"). */
export interface RequestSource {
  ip?: string;
  /**
   * As the browser sent it (bounded), for admins in the admin API. Mails and pages show only the
   * browser and system parsed from it (`describeRequestSource`), never the raw text.
   */
  userAgent?: string;
}

/** A person who may approve, resolved server-side from Graph or the fallback setting. */
export interface Approver {
  id: string;
  displayName: string;
  mail: string;
  /** Present when an admin assigned this approver (`reassign`) rather than the directory's tiers. */
  assigned?: ApproverAssignment;
}

/** Who assigned an approver by hand, when and why: at decision time it stands in for the tiers. */
export interface ApproverAssignment {
  /** The admin's name from the token. */
  by: string;
  objectId?: string;
  /** The admin's user name (UPN) from the token. */
  username?: string;
  at: string;
  reason: string;
}

export interface Decision {
  outcome: 'approved' | 'rejected';
  /** The approver's mail address. */
  by: string;
  at: string;
  comment?: string;
}

export type MailRestore = 'pending' | 'done';

export type ResetResult =
  | { invitationId: string; inviteRedeemUrl?: string }
  | {
      code: string;
      message: string;
      requestId?: string;
      /** Graph kept failing with a fault that passes (429, 5xx, network) until the retries ran out: an admin may retry. */
      transient?: true;
    };

export interface EmailChangeRequest extends EmailChangeSubmission {
  id: string;
  status: RequestStatus;
  source: RequestSource;
  submittedAt: string;
  updatedAt: string;
  guestId?: string;
  guestDisplayName?: string;
  /** The guest's `mail` in the directory when screened; told of the request too (the typed address may be an alias). */
  guestMail?: string | null;
  approvers: Approver[];
  /** When the approval links stop working (ISO). */
  deadline?: string;
  declineReason?: DeclineReason;
  decision?: Decision;
  result?: ResetResult;
  /** The guest's `mail` before the reset, kept so a failed reset can restore it. */
  previousMail?: string | null;
  /**
   * Putting `previousMail` back after a failed reset that had changed `mail`: `pending` while
   * Graph keeps refusing (it is retried), `done` once `mail` is back. Absent when nothing changed.
   */
  mailRestore?: MailRestore;
  /**
   * The transient Graph faults of this attempt's reset so far, while it is retried: the workflow
   * only learns that the retries ran out, so the result stored then takes Graph's words from the
   * last one (DESIGN §2 step 7). Cleared when the attempt ends.
   */
  transientFaults?: { tries: number; last: StoredError };
  /** Which run of the Graph reset the request is on: absent for the first, 2 and up after an admin's retries. */
  resetAttempt?: number;
  cancelReason?: string;
  /** Who cancelled: an admin, the requester (tracking page) or the account's owner ("this wasn't me"). */
  cancelledBy?: CancelOrigin;
  /** When the new address's owner confirmed the request (DESIGN §2 step 3). */
  confirmedAt?: string;
  /** The owner of the current address said "this wasn't me" (DESIGN §4, reports). */
  reportedByOwner?: boolean;
}

/**
 * Where the account's owner is told of a request: the typed current address (which may be an
 * alias in `otherMails`) and the directory's `mail` when screening found a different one.
 */
export function ownerAddresses(request: Pick<EmailChangeRequest, 'currentEmail' | 'guestMail'>): string[] {
  return [...new Set([request.currentEmail, ...(request.guestMail ? [request.guestMail.toLowerCase()] : [])])];
}

export const CANCEL_ORIGINS = ['admin', 'requester', 'owner'] as const;
export type CancelOrigin = (typeof CANCEL_ORIGINS)[number];

/** One line of a request's audit trail. */
export interface AuditEvent {
  requestId: string;
  /** Stable id, so re-running a step does not write the event twice. */
  id: string;
  at: string;
  type: string;
  /** `system`, `requester`, an approver's mail or an admin's identity. */
  actor: string;
  detail?: Record<string, unknown>;
}
