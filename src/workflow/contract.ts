import type { CancelOrigin, EmailChangeSubmission, RequestSource } from '../domain/request.js';

/**
 * Names and payloads shared by the orchestrator and the HTTP handlers that start it and raise
 * its events. Keep them here so the two sides cannot drift apart.
 */
export const ORCHESTRATOR_NAME = 'emailChangeOrchestrator';

export const EVENTS = {
  /** Raised by POST /api/approvals/{token} after the token was consumed. */
  approvalDecision: 'ApprovalDecision',
  /** Raised by an admin's cancel, the requester's cancel on the tracking page, or the owner's report. */
  cancel: 'Cancel',
  /** Raised by POST /api/confirmations/{token} after the confirmation was claimed. */
  newEmailConfirmed: 'NewEmailConfirmed',
} as const;

/**
 * The orchestration code version new instances run (README "Changing the orchestration"). An
 * instance keeps the version it started with for its whole life, since it replays its history
 * with the code of that version: 1 (or absent) waits in rounds, 2 keeps one set of event waiters,
 * 3 has the new address confirmed first and mails every ending from one step, 4 does the same
 * work in fewer steps (`beginRequest`, `screenAndAsk`, `approveAndReset`).
 */
export const WORKFLOW_VERSION = 4;

/** Runs an admin's retry of a failed reset (`resetRetryOrchestrator.ts`). */
export const RESET_RETRY_ORCHESTRATOR_NAME = 'resetRetryOrchestrator';

/** The retry's input; its instance id is `retryInstanceId(requestId, attempt)`. */
export interface ResetRetryInput {
  requestId: string;
  /** The request's `resetAttempt` this instance runs (2 and up). */
  attempt: number;
}

/** The orchestration's input; its instance id is `requestId`. */
export interface EmailChangeOrchestrationInput {
  requestId: string;
  submission: EmailChangeSubmission;
  source: RequestSource;
  submittedAt: string;
  /** `WORKFLOW_VERSION` when the instance started; absent on instances started before versioning. */
  workflowVersion?: number;
}

export interface ApprovalDecisionEvent {
  outcome: 'approved' | 'rejected';
  approverId: string;
  approverMail: string;
  comment?: string;
  at: string;
}

export interface CancelEvent {
  reason: string;
  /** The admin's identity (name or object id from the token), `requester`, or the owner's address. */
  by: string;
  at: string;
  /** Absent on cancels raised before requesters and owners could cancel: an admin's. */
  origin?: CancelOrigin;
  /** An admin's object id and user name, which `by` (a display name) does not make unique. */
  objectId?: string;
  username?: string;
}
