import type { EmailChangeSubmission, RequestSource } from '../domain/request.js';

/**
 * Names and payloads shared by the orchestrator and the HTTP handlers that start it and raise
 * its events. Keep them here so the two sides cannot drift apart.
 */
export const ORCHESTRATOR_NAME = 'emailChangeOrchestrator';

export const EVENTS = {
  /** Raised by POST /api/approvals/{token} after the token was consumed. */
  approvalDecision: 'ApprovalDecision',
  /** Raised by POST /api/admin/requests/{id}/cancel. */
  cancel: 'Cancel',
} as const;

/** The orchestration's input; its instance id is `requestId`. */
export interface EmailChangeOrchestrationInput {
  requestId: string;
  submission: EmailChangeSubmission;
  source: RequestSource;
  submittedAt: string;
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
  /** The admin's identity (name or object id from the token). */
  by: string;
  at: string;
}
