import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { eventually, startLocalApp, type LocalApp } from './support/localApp.js';
import { adminGet, approvalLink, decide, guestWithSponsor, submit, waitForMail, waitForStatus } from './support/flow.js';

/**
 * A decision or cancel raised while the reminder round is being mailed takes effect at once
 * (DESIGN §2 step 5), not at the deadline. The reminder is slowed by Graph refusing `sendMail`
 * (503 with Retry-After, retried by the Graph client and then by the activity's retry policy), so
 * the approver acts while the reminder step is still running. The deadline is ten minutes away:
 * reaching the final status within the usual wait proves nobody waited for it.
 */

let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp({ env: { APPROVAL_TIMEOUT: 'PT10M', APPROVAL_REMINDER_AFTER: 'PT3S' } });
});
afterEach(async () => {
  await app?.json('DELETE', '/_dev/graph/faults');
});
afterAll(async () => {
  await app?.stop();
});

/** A request waiting for approval whose reminder round is now being mailed, slowly. */
async function duringReminder(label: string) {
  const { guest, sponsor } = await guestWithSponsor(app, label);
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `${label}.${Date.now()}@northwind.example` });
  const mail = await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail');
  await waitForStatus(app, id, 'AwaitingApproval');
  // Every sendMail (POST /users/{sender}/sendMail) fails for the next few seconds' worth of calls.
  const fault = await app.json('POST', '/_dev/graph/faults', { method: 'POST', path: '/v1.0/users/', status: 503, count: 8, retryAfter: 1 });
  expect(fault.status).toBeLessThan(300);
  // The instance publishes `reminderSentAt` as it schedules the reminder step.
  await eventually(async () => {
    const status = (await adminGet(app, id)).orchestration.customStatus as { reminderSentAt?: string } | null;
    return status?.reminderSentAt;
  }, 30_000, 'the reminder round to start');
  return { id, sponsor, link: approvalLink(mail) };
}

test('an approval posted while the reminder is being mailed completes the request at once', async () => {
  const { id, sponsor, link } = await duringReminder('remindapprove');
  const answer = await decide(link, 'approve', 'Known to me');
  expect(answer.status).toBe(200);
  const done = await waitForStatus(app, id, 'Completed');
  expect(done.request.decision).toMatchObject({ outcome: 'approved', by: sponsor.mail });
  const types = done.events.map((e) => e.type);
  // The reminder step had not finished when the approval was taken (it then found the request decided).
  const reminded = types.indexOf('ReminderSent');
  expect(reminded === -1 || reminded > types.indexOf('Approved')).toBe(true);
  expect(types).not.toContain('Expired');
});

test('an admin cancel while the reminder is being mailed cancels the request at once', async () => {
  const { id } = await duringReminder('remindcancel');
  const token = await app.adminToken();
  const cancel = await app.json('POST', `/api/admin/requests/${id}/cancel`, { reason: 'The guest phoned: not them' }, { authorization: `Bearer ${token}` });
  expect(cancel.status).toBe(202);
  const cancelled = await waitForStatus(app, id, 'Cancelled');
  expect(cancelled.request.status).toBe('Cancelled');
  expect(cancelled.events.map((e) => e.type)).not.toContain('Expired');
});
