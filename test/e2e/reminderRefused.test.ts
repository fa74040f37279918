import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, startLocalApp, type LocalApp } from './support/localApp.js';
import { adminGet, approvalLink, decide, guestWithSponsor, submit, waitForMail, waitForStatus } from './support/flow.js';

/**
 * A reminder is best effort: Graph refusing the reminder mail for good (403 on every try the step
 * retry policy would make) is audited and the wait goes on. The request stays undecided with its
 * approvers' links working, instead of ending Failed with nobody having decided.
 */

let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp({ env: { APPROVAL_TIMEOUT: 'PT10M', APPROVAL_REMINDER_AFTER: 'PT3S' } });
});
afterAll(async () => {
  await app?.stop();
});

test('a reminder Graph refuses for good leaves the request awaiting approval, and the approver can still approve', async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'remindrefused');
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `remindrefused.${Date.now()}@northwind.example` });
  const mail = await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail');
  await waitForStatus(app, id, 'AwaitingApproval');
  // sendMail is refused for as many tries as the step retry policy makes (STEP_RETRY: four).
  const fault = await app.json('POST', '/_dev/graph/faults', { method: 'POST', path: '/v1.0/users/', status: 403, count: 4, code: 'ErrorAccessDenied', message: 'Access is denied.' });
  expect(fault.status).toBeLessThan(300);

  // Whichever comes first: the refusal audited, or the request leaving the wait.
  const after = await eventually(async () => {
    const view = await adminGet(app, id);
    return view.request.status !== 'AwaitingApproval' || view.events.some((e) => e.type === 'MailFailed') ? view : undefined;
  }, 60_000, 'the reminder to be refused');
  expect(after.request.status).toBe('AwaitingApproval');
  expect(after.events.find((e) => e.type === 'MailFailed')?.detail).toMatchObject({ key: `reminder:${sponsor.id}`, attempt: 1, status: 403, code: 'ErrorAccessDenied' });
  expect(after.events.map((e) => e.type)).not.toContain('ReminderSent');
  await app.json('DELETE', '/_dev/graph/faults');

  // The first round's link still decides, at once (the deadline is ten minutes away).
  const answer = await decide(approvalLink(mail), 'approve', 'Known to me');
  expect(answer.status).toBe(200);
  const done = await waitForStatus(app, id, 'Completed');
  expect(done.request.decision).toMatchObject({ outcome: 'approved', by: sponsor.mail });
  expect(done.events.filter((e) => e.type === 'MailFailed')).toHaveLength(1);
}, 120_000);
