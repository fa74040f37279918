import { expect, test } from 'vitest';
import type { AdminDigestEntry } from '../../src/store/adminDigest.js';
import { adminDigestEmail } from '../../src/templates/emails.js';
import { renderMail } from '../../src/templates/renderMail.js';

/** The admins' digest: every alert of the period with what identifies it; its frame is in templates.renderMail.test.ts. */
const render = (input: Parameters<typeof adminDigestEmail>[0]) => renderMail(adminDigestEmail(input), { org: { name: 'Contoso' }, now: new Date('2026-11-30T08:00:00.000Z') });

const entry = (overrides: Partial<AdminDigestEntry>): AdminDigestEntry => ({
  requestId: '6f1c2a4e-9a53-4a8e-9c0e-2a1f6b3d4e5f',
  alert: 'admin-failure',
  at: '2026-11-29T10:00:00.000Z',
  subject: 'Guest sign-in email change failed: Forbidden',
  guest: 'Ada Lovelace',
  currentEmail: 'ada@fabrikam.com',
  newEmail: 'ada@northwind.com',
  mailedAtOnce: false,
  ...overrides,
});

test('lists every alert of the period, oldest first as given, with its request id, guest, addresses and the admin API path', () => {
  const failed = entry({});
  const noApprover = entry({ requestId: 'b2c3', alert: 'admin-no-approver', at: '2026-11-29T11:00:00.000Z', subject: 'Guest sign-in email change declined: nobody may approve it', guest: 'Dan Jump', currentEmail: 'dan@wingtiptoys.com', newEmail: 'dan@northwind.example' });
  const mail = render({ entries: [failed, noApprover], from: '2026-11-29T08:00:00.000Z', until: '2026-11-30T08:00:00.000Z' });
  expect(mail.subject).toBe('Guest sign-in email change digest: 2 alerts');
  for (const part of [mail.html, mail.text]) {
    expect(part).toContain('Sunday 29 November 2026 08:00 UTC');
    expect(part).toContain('Monday 30 November 2026 08:00 UTC');
    for (const value of [failed.subject, failed.requestId, 'Ada Lovelace', 'ada@fabrikam.com', 'ada@northwind.com', noApprover.subject, 'b2c3', 'Dan Jump', 'dan@wingtiptoys.com', `GET /api/admin/requests/${failed.requestId}`, 'GET /api/admin/requests/b2c3']) {
      expect(part).toContain(value);
    }
    expect(part.indexOf(failed.subject)).toBeLessThan(part.indexOf(noApprover.subject));
    expect(part).not.toContain('Mailed at once');
  }
});

test('one alert in the singular; one that also went out at once says so; the first digest covers everything before its time', () => {
  const mail = render({ entries: [entry({ mailedAtOnce: true })], until: '2026-11-30T08:00:00.000Z' });
  expect(mail.subject).toBe('Guest sign-in email change digest: 1 alert');
  expect(mail.text).toContain('Mailed at once');
  expect(mail.text).toContain('since digests began');
  expect(mail.text).not.toContain('Since:');
});
