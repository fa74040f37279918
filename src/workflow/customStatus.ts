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
  /** Graph's (or `InternalError`) code when the reset failed. */
  errorCode?: string;
  /** The run of the reset an admin's retry instance carries out (2 and up). */
  attempt?: number;
}
