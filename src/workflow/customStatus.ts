import type { DeclineReason, RequestStatus } from '../domain/request.js';

/**
 * What the orchestrator publishes with `setCustomStatus` at each stage; the admin API shows it
 * next to the stored request, so an admin can see where a running instance is waiting.
 */
export interface OrchestrationCustomStatus {
  status: RequestStatus;
  declineReason?: DeclineReason;
  /** ISO time the approval links expire. */
  deadline?: string;
  /** ISO time the reminder went out. */
  reminderSentAt?: string;
  /** Mail of the approver whose decision arrived, or the admin who cancelled. */
  decidedBy?: string;
  /**
   * The code the workflow saw when the reset failed: Graph's, or `InternalError` when a step failed
   * for good. The request's `result` is what is stored: there, Graph's words win when it had any.
   */
  errorCode?: string;
  /** The run of the reset an admin's retry instance carries out (2 and up). */
  attempt?: number;
}
