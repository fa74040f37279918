import { describe, expect, test } from 'vitest';
import { mailLeftChanged } from '../../src/activities/executeReset.js';
import { approverSkipReason, type ApproverCandidate } from '../../src/domain/approvers.js';
import type { AuditEvent, EmailChangeRequest } from '../../src/domain/request.js';
import { perAttempt, resetAttemptOf, retryInstanceId, whyNotRetryable } from '../../src/domain/resetRetry.js';

/** The pure rules behind the admin's retry and reassign (DESIGN §4, Admin). */

const HOUR = 3_600_000;
const APPROVED_AT = '2026-05-01T10:00:00.000Z';
const failed = (fields: Partial<EmailChangeRequest> = {}): EmailChangeRequest => ({
  id: 'r1',
  status: 'Failed',
  currentEmail: 'ada@fabrikam.com',
  newEmail: 'ada@northwind.com',
  reason: 'MovedCompany',
  source: {},
  submittedAt: '2026-05-01T09:00:00.000Z',
  updatedAt: APPROVED_AT,
  guestId: 'guest-1',
  approvers: [],
  decision: { outcome: 'approved', by: 'sponsor@contoso.com', at: APPROVED_AT },
  result: { code: 'InternalError', message: 'Internal error (reference x).' },
  ...fields,
});
const at = (hoursAfterApproval: number) => new Date(Date.parse(APPROVED_AT) + hoursAfterApproval * HOUR);

describe('whyNotRetryable', () => {
  test('a transient failure (InternalError once the retries ran out) within the window may be retried, up to its last instant', () => {
    expect(whyNotRetryable(failed(), at(1), 24 * HOUR)).toBeUndefined();
    expect(whyNotRetryable(failed(), at(24), 24 * HOUR)).toBeUndefined();
  });

  test('so may a failure stored with Graph’s words for a passing fault, marked transient', () => {
    const graphFault = failed({ result: { code: 'ServiceUnavailable', message: 'Try later.', requestId: 'r-1', transient: true } });
    expect(whyNotRetryable(graphFault, at(1), 24 * HOUR)).toBeUndefined();
  });

  test('outside the window, measured from the approval, it may not', () => {
    expect(whyNotRetryable(failed(), new Date(at(24).getTime() + 1), 24 * HOUR)).toMatch(/RETRY_WINDOW.*2026-05-02T10:00:00.000Z/);
  });

  test.each([
    ['a permanent Graph refusal', failed({ result: { code: 'Request_BadRequest', message: 'No.' } }), /permanent error \(Request_BadRequest\)/],
    ['a refusal of our own', failed({ result: { code: 'GuestNotFound', message: 'Gone.' } }), /permanent error \(GuestNotFound\)/],
    ['a request that was not approved', failed({ decision: undefined }), /never approved/],
    ['a rejected request', failed({ status: 'Rejected', decision: { outcome: 'rejected', by: 's', at: APPROVED_AT } }), /Rejected/],
    ['a completed request', failed({ status: 'Completed', result: { invitationId: 'i1' } }), /Completed/],
    ['a retry already under way', failed({ status: 'Approved', result: undefined, resetAttempt: 2 }), /Approved/],
    ['mail still being put back', failed({ mailRestore: 'pending' }), /still being put back/],
  ])('%s may not be retried', (_, request, why) => {
    expect(whyNotRetryable(request, at(1), 24 * HOUR)).toMatch(why);
  });
});

test('audit ids and mail keys stay as they were for the first run and are their own for every retry', () => {
  expect(resetAttemptOf(failed())).toBe(1);
  expect(perAttempt(failed(), 'failed')).toBe('failed');
  expect(perAttempt(failed({ resetAttempt: 2 }), 'failed')).toBe('failed:retry-2');
  expect(perAttempt(failed({ resetAttempt: 3 }), 'admin-failure')).toBe('admin-failure:retry-3');
  expect(retryInstanceId('r1', 2)).toBe('r1-retry-2');
});

test('mail counts as left changed when the last write of it was the reset’s, also after an earlier restore', () => {
  const event = (type: string, minute: number): AuditEvent => ({ requestId: 'r1', id: `${type}-${minute}`, at: `2026-05-01T10:${String(minute).padStart(2, '0')}:00.000Z`, type, actor: 'system' });
  const request = failed({ previousMail: 'ada@fabrikam.com' });
  expect(mailLeftChanged(request, [event('MailUpdated', 1)])).toBe(true);
  expect(mailLeftChanged(request, [event('MailUpdated', 1), event('MailRestored', 2)])).toBe(false);
  expect(mailLeftChanged(request, [event('MailUpdated', 1), event('MailRestored', 2), event('MailUpdated', 3)])).toBe(true);
});

describe('approverSkipReason, for an approver an admin assigns', () => {
  const context = { guest: { id: 'guest-1', mail: 'ada@fabrikam.com', otherMails: ['ada.alt@fabrikam.com'] }, excludedEmails: ['ada@fabrikam.com', 'ada@northwind.com'] };
  const member = (fields: Partial<ApproverCandidate> = {}): ApproverCandidate => ({ id: 'm1', displayName: 'M', mail: 'm@contoso.com', userType: 'Member', accountEnabled: true, ...fields });

  test.each([
    ['an enabled member', member(), undefined],
    ['the guest', member({ id: 'guest-1' }), 'IsTheGuest'],
    ['a guest account', member({ userType: 'Guest' }), 'NotAMember'],
    ['a disabled member', member({ accountEnabled: false }), 'AccountDisabled'],
    ['someone the directory does not know', { id: 'x', displayName: 'x', mail: '' }, 'NotInDirectory'],
    ['a member who receives mail at the new address', member({ otherAddresses: ['Ada@Northwind.com'] }), 'HoldsRequestAddress'],
    ['a member holding one of the guest’s addresses', member({ otherAddresses: ['ada.alt@fabrikam.com'] }), 'HoldsRequestAddress'],
  ])('%s', (_, candidate, reason) => {
    expect(approverSkipReason(context, candidate)).toBe(reason);
  });
});
