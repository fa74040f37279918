import type { EmailChangeRequest } from '../../src/domain/request.js';

/** One request as the templates render it, awaiting approval: each test overrides what it is about. */
export const aRequest = (overrides: Partial<EmailChangeRequest> = {}): EmailChangeRequest => ({
  id: '6f1c2a4e-9a53-4a8e-9c0e-2a1f6b3d4e5f',
  status: 'AwaitingApproval',
  currentEmail: 'ada@fabrikam.com',
  newEmail: 'ada@northwind.com',
  reason: 'MovedCompany',
  reasonDetail: 'New job at Northwind',
  displayName: 'Ada L.',
  guestDisplayName: 'Ada Lovelace',
  guestId: 'guest-1',
  source: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (iPhone)' },
  submittedAt: '2024-05-01T10:00:00.000Z',
  updatedAt: '2024-05-01T10:00:05.000Z',
  deadline: '2024-05-08T10:00:00.000Z',
  approvers: [],
  ...overrides,
});
