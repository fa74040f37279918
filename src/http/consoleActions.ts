import { whyNotRetryable } from '../domain/resetRetry.js';
import type { GuestLock } from '../store/requestStore.js';
import { adminReasonOf, MAX_ADMIN_REASON_LENGTH } from './adminReason.js';
import { releaseLockAsAdmin } from './adminGuestLocks.js';
import { approverIdOf, MAX_USER_ID_LENGTH, reassignAsAdmin, resendAsAdmin } from './adminApprovers.js';
import { cancelAsAdmin, type FoundRequest } from './adminRequests.js';
import { retryAsAdmin } from './adminRetry.js';
import { cancelRefusal } from './cancelRequest.js';
import type { ConsoleAdmin } from './consoleSession.js';
import { HttpError } from './errors.js';
import { isRunning, type HttpDependencies, type OrchestrationClient } from './dependencies.js';

/**
 * What an admin can do to a request from its console page. Each action is offered on the
 * request page when it applies, opens a confirmation step (a page saying what will happen, with
 * its fields), and runs on that page's POST through the same code as its admin API route, so the
 * console and the API refuse, audit and record the admin alike. A new action is one more entry
 * in `CONSOLE_ACTIONS`.
 */

/** What an action sees of the request it acts on. */
export interface ConsoleActionTarget {
  found: FoundRequest;
  /** The lock of the request's guest, whoever holds it. */
  lock: GuestLock | undefined;
}

/** One field of an action's confirmation step; `read` checks the posted value (400 `ValidationFailed`). */
export interface ConsoleActionField {
  name: string;
  label: string;
  hint: string;
  maxLength: number;
  /** An identifier rather than prose: one line. */
  singleLine?: boolean;
  read(value: unknown): string;
}

export interface ConsoleAction {
  /** The action's path segment and form identity. */
  name: string;
  /** The button on the request page and the title of the confirmation step. */
  label: string;
  /** Why it does not apply to this request now, or undefined when it does. */
  unavailable(target: ConsoleActionTarget, deps: Pick<HttpDependencies, 'settings' | 'clock'>): string | undefined;
  /** What confirming will do, said on the confirmation step. */
  consequence(target: ConsoleActionTarget): string;
  fields: ConsoleActionField[];
  /** Runs the action, checking again that it applies; refusals are `HttpError`s, audited as its API route audits them. */
  perform(context: { deps: HttpDependencies; client: OrchestrationClient; admin: ConsoleAdmin; target: ConsoleActionTarget; values: Record<string, string> }): Promise<void>;
  /** Said on the request page after it ran. */
  done: string;
}

const REASON: ConsoleActionField = {
  name: 'reason',
  label: 'Reason',
  hint: `Recorded in the audit trail with your name; 1 to ${MAX_ADMIN_REASON_LENGTH} characters.`,
  maxLength: MAX_ADMIN_REASON_LENGTH,
  read: (value) => adminReasonOf({ reason: value }),
};

/** Why a request's approvers cannot be asked anew now, or undefined while it awaits a decision. */
function notAwaitingApproval({ found: { emailChange, orchestration } }: ConsoleActionTarget, what: string): string | undefined {
  if (emailChange.status !== 'AwaitingApproval') return `The request is ${emailChange.status}; ${what} only while it awaits approval.`;
  if (!isRunning(orchestration)) return 'The request’s workflow is not running, so no decision could be taken from a new link.';
  return undefined;
}

export const CONSOLE_ACTIONS: readonly ConsoleAction[] = [
  {
    name: 'cancel',
    label: 'Cancel the request',
    unavailable: ({ found: { emailChange, orchestration } }) => cancelRefusal(emailChange, orchestration)?.message,
    consequence: ({ found: { emailChange } }) =>
      `The request to change ${emailChange.currentEmail} to ${emailChange.newEmail} stops: nothing changes in the directory, its links stop working, and the people it involves are told.`,
    fields: [REASON],
    perform: ({ deps, client, admin, target, values }) => cancelAsAdmin(deps, client, target.found, admin, values.reason!),
    done: 'Cancellation requested. The workflow records it in a moment; reload to see it in the timeline.',
  },
  {
    name: 'resend',
    label: 'Resend the approval links',
    unavailable: (target) => notAwaitingApproval(target, 'links are resent'),
    consequence: ({ found: { emailChange } }) =>
      `Each approver (${emailChange.approvers.map((a) => a.mail).join(', ')}) gets a new approval link by mail; the links mailed before stop working.`,
    fields: [REASON],
    perform: ({ deps, admin, target, values }) => resendAsAdmin(deps, target.found, admin, values.reason!),
    done: 'New approval links were mailed; the earlier ones no longer work.',
  },
  {
    name: 'reassign',
    label: 'Assign another approver',
    unavailable: (target) => notAwaitingApproval(target, 'approvers are assigned'),
    consequence: ({ found: { emailChange } }) =>
      `The person you name is mailed an approval link and may decide beside ${emailChange.approvers.map((a) => a.mail).join(', ') || 'nobody so far'}, whose links keep working (the admin API can replace an approver instead).`,
    fields: [
      {
        name: 'approverId',
        label: 'New approver',
        hint: "Their directory object id or sign-in name. They must be an enabled member, not the guest, not you, and hold none of the request's addresses.",
        maxLength: MAX_USER_ID_LENGTH,
        singleLine: true,
        read: (value) => approverIdOf({ approverId: value }),
      },
      REASON,
    ],
    perform: async ({ deps, admin, target, values }) => {
      await reassignAsAdmin(deps, target.found, admin, { approverId: values.approverId!, reason: values.reason! });
    },
    done: 'The new approver was mailed an approval link.',
  },
  {
    name: 'retry',
    label: 'Retry the reset',
    unavailable: ({ found: { emailChange } }, deps) => whyNotRetryable(emailChange, deps.clock(), deps.settings.RETRY_WINDOW),
    consequence: ({ found: { emailChange } }) =>
      `The reset of ${emailChange.guestDisplayName ?? emailChange.guestId} to ${emailChange.newEmail} runs again as approved; the request is Approved until it ends Completed or Failed, and everyone is told as the first time.`,
    fields: [REASON],
    perform: async ({ deps, client, admin, target, values }) => {
      await retryAsAdmin(deps, client, target.found, admin, values.reason!);
    },
    done: 'The reset is running again. Reload to follow it in the timeline.',
  },
  {
    name: 'release-lock',
    label: "Release the guest's lock",
    unavailable: ({ found: { emailChange }, lock }) => (!emailChange.guestId ? 'The request has no guest in the directory.' : !lock ? 'The guest holds no lock.' : undefined),
    consequence: ({ found: { emailChange }, lock }) =>
      `The guest ${emailChange.guestDisplayName ?? emailChange.guestId} can ask for a change again at once. The lock is held by ${lock?.requestId === emailChange.id ? 'this request' : `request ${lock?.requestId}`}, which is not stopped; its audit trail records the release.`,
    fields: [REASON],
    perform: async ({ deps, admin, target, values }) => {
      const { guestId } = target.found.emailChange;
      if (!guestId) throw new HttpError('NotFound', 'The request has no guest in the directory.');
      await releaseLockAsAdmin(deps, guestId, admin, values.reason!);
    },
    done: "The guest's lock was released.",
  },
];

export const consoleActionNamed = (name: string | undefined): ConsoleAction | undefined => CONSOLE_ACTIONS.find((action) => action.name === name);
