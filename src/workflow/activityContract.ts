import type { Approver, DeclineReason, RequestStatus } from '../domain/request.js';
import type { ApprovalDecisionEvent, CancelEvent } from './contract.js';

/**
 * Names and payloads of the activities the orchestrator calls. The orchestrator and the
 * registrations in `src/functions/orchestration.ts` both read these names, so they cannot drift.
 * Everything here is plain JSON: it travels through the orchestration history.
 */
export const ACTIVITY = {
  beginRequest: 'beginRequest',
  screenAndAsk: 'screenAndAsk',
  approveAndReset: 'approveAndReset',
  recordRequest: 'recordRequest',
  getApprovalPolicy: 'getApprovalPolicy',
  requestConfirmation: 'requestConfirmation',
  settleConfirmation: 'settleConfirmation',
  recordConfirmation: 'recordConfirmation',
  screenRequest: 'screenRequest',
  requestApproval: 'requestApproval',
  settleDeadline: 'settleDeadline',
  recordOutcome: 'recordOutcome',
  markApproved: 'markApproved',
  executeReset: 'executeReset',
  restoreMail: 'restoreMail',
  getMailRestorePolicy: 'getMailRestorePolicy',
  completeRequest: 'completeRequest',
  sendOutcomeMails: 'sendOutcomeMails',
} as const;
export type ActivityName = (typeof ACTIVITY)[keyof typeof ACTIVITY];

/** Durations the orchestrator needs; read from settings by an activity so replay sees one value. */
export interface ApprovalPolicy {
  approvalTimeoutMs: number;
  reminderAfterMs: number;
  /** Absent in the histories of instances started before confirmation existed. */
  confirmationRequired?: boolean;
  confirmationTimeoutMs?: number;
}

/** What `beginRequest` answers (version 4 on). */
export interface BeginResult {
  policy: ApprovalPolicy;
  /** ISO time the confirmation link expires, as mailed (the wait's deadline). */
  confirmationExpiresAt: string;
}

export interface RequestConfirmationInput {
  requestId: string;
  /** ISO time after which the confirmation link stops working. */
  expiresAt: string;
  /** False when `REQUIRE_NEW_EMAIL_CONFIRMATION` is off: only the tracking link is mailed. */
  required: boolean;
}

/** How the wait for the new address's confirmation ended. */
export type ConfirmationOutcome = { kind: 'confirmed' } | { kind: 'cancel'; cancel: CancelEvent } | { kind: 'deadline' };

export type ScreeningResult =
  | { outcome: 'declined'; reason: DeclineReason }
  | { outcome: 'eligible'; guest: { id: string; displayName: string }; approvers: Approver[] };

/** `screenAndAsk`'s input (version 4 on): the approval deadline, counted from the confirmation. */
export interface ScreenAndAskInput {
  requestId: string;
  deadline: string;
}

/**
 * How `screenAndAsk` ended: the confirmation's claim went to a cancel or the deadline after all,
 * the request was declined, or the approvers were asked (or, when a cancel came first, need not be).
 */
export type ScreenAndAskResult =
  | { outcome: 'unconfirmed'; confirmation: Exclude<ConfirmationOutcome, { kind: 'confirmed' }> }
  | { outcome: 'declined'; reason: DeclineReason }
  | { outcome: 'asked' };

export interface RequestApprovalInput {
  requestId: string;
  /** ISO time after which approval links stop working. */
  deadline: string;
  /** True for the reminder round: new links, reminder wording, no second notice to the guest. */
  reminder: boolean;
}

/** The endings that happen without touching the guest's account. */
export type RecordOutcomeInput = (
  | { requestId: string; outcome: 'Rejected'; decision: ApprovalDecisionEvent }
  | { requestId: string; outcome: 'Cancelled'; cancel: CancelEvent }
  | { requestId: string; outcome: 'Expired' }
) & {
  /** Version 3 on: the ending's mails are `sendOutcomeMails`' step, not this one's. */
  mailsFollow?: boolean;
};

export interface MarkApprovedInput {
  requestId: string;
  decision: ApprovalDecisionEvent;
}

/** What `executeReset` reports; a permanent Graph refusal is an answer, not an exception. */
export type ResetOutcome =
  | { ok: true; invitationId: string; inviteRedeemUrl: string }
  | { ok: false; code: string; message: string; requestId?: string };

/** What `approveAndReset` answers (version 4 on): `completed` when `Completed` is stored. */
export interface ApproveAndResetResult {
  outcome: ResetOutcome;
  completed: boolean;
}

/**
 * One try at putting the guest's `mail` back after a failed reset: `pending` when Graph refused
 * (the try is audited and will be repeated), `notNeeded` when this request never changed it.
 */
export type MailRestoreState = 'notNeeded' | 'pending' | 'done';

/** One try at the mails an ended request owes: `pending` when Graph refused one (audited `MailFailed`, tried again later). */
export type OutcomeMailsState = 'sent' | 'pending';

/**
 * How the orchestrator repeats what is still pending after the request ended (putting `mail` back,
 * mails Graph refused); read from settings by an activity so replay sees one value.
 */
export interface MailRestorePolicy {
  /** Delay after the first failed try; doubled after each further one. */
  firstRetryMs: number;
  maxRetryMs: number;
  /** How long after the first failed try new tries still start. */
  windowMs: number;
}

export interface CompleteRequestInput {
  requestId: string;
  outcome: ResetOutcome;
}

/** Code stored when the workflow itself could not finish a step (retries exhausted, a bug). */
export { INTERNAL_ERROR_CODE } from '../domain/errorText.js';

/** Final statuses an activity can report back to the orchestrator. */
export type FinalStatus = Extract<RequestStatus, 'Completed' | 'Failed' | 'Rejected' | 'Expired' | 'Cancelled' | 'Declined'>;
