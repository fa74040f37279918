import { afterAll, beforeAll, expect, test } from 'vitest';
import { startLocalApp, type LocalApp } from './support/localApp.js';
import { approvalLink, guestWithSponsor, submit, waitForMail, waitForStatus } from './support/flow.js';

let app: LocalApp;
beforeAll(async () => {
  // Short deadlines come from settings, as an administrator would set them.
  app = await startLocalApp({ env: { APPROVAL_TIMEOUT: 'PT6S', APPROVAL_REMINDER_AFTER: 'PT2S' } });
});
afterAll(async () => {
  await app?.stop();
});

test('an unanswered request gets a reminder, then expires, and its link answers 410', async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'late');
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `late.${Date.now()}@northwind.example` });
  const first = await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail');
  const reminder = await waitForMail(app, (m) => m.to.includes(sponsor.mail) && m.id !== first.id, 'reminder mail');
  expect(reminder.subject.toLowerCase()).toContain('reminder');
  expect(reminder.html).toContain(guest.mail);
  await waitForStatus(app, id, 'Expired', 30_000);
  expect((await fetch(approvalLink(first))).status).toBe(410);
});

test('APPROVAL_TIMEOUT alone (as in `APPROVAL_TIMEOUT=PT30S npm start`) starts, reminds halfway and expires', async () => {
  const short = await startLocalApp({ env: { APPROVAL_TIMEOUT: 'PT4S' } });
  try {
    const { guest, sponsor } = await guestWithSponsor(short, 'alone');
    const id = await submit(short, { currentEmail: guest.mail, newEmail: `alone.${Date.now()}@northwind.example` });
    const first = await waitForMail(short, (m) => m.to.includes(sponsor.mail), 'approval mail');
    await waitForMail(short, (m) => m.to.includes(sponsor.mail) && m.id !== first.id, 'reminder mail');
    await waitForStatus(short, id, 'Expired', 30_000);
  } finally {
    await short.stop();
  }
});
