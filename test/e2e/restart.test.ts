import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { freePort } from '@guest-email-change/functions-local-host';
import { startLocalApp, type LocalApp } from './support/localApp.js';
import { approvalLink, decide, guestWithSponsor, submit, waitForMail, waitForStatus } from './support/flow.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'guest-reset-restart-'));
let app: LocalApp | undefined;
afterAll(async () => {
  await app?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('a request awaiting approval survives a killed host and completes after the restart', async () => {
  // The same port after the restart, because the emailed links carry it.
  const port = await freePort();
  app = await startLocalApp({ port, args: ['--data', dataDir] });
  const { guest, sponsor } = await guestWithSponsor(app, 'restart');
  const newEmail = `restart.${Date.now()}@northwind.example`;
  const id = await submit(app, { currentEmail: guest.mail, newEmail });
  const approval = await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail');
  // The guest's notice goes out after the approval mail was recorded as sent: a kill before that
  // record would rightly send the approval mail again (mail is at least once).
  await waitForMail(app, (m) => m.to.includes(guest.mail), 'change-requested notice');
  await waitForStatus(app, id, 'AwaitingApproval');

  await app.kill();
  app = await startLocalApp({ port, args: ['--data', dataDir] });

  expect((await decide(approvalLink(approval), 'approve')).status).toBe(200);
  const done = await waitForStatus(app, id, 'Completed');
  expect(done.request.result?.invitationId).toBeTruthy();
  // Nothing that completed before the crash ran again: one approval mail, one notice.
  const outbox = await app.outbox();
  expect(outbox.filter((m) => m.to.includes(sponsor.mail) && /approv/i.test(m.subject) && !/complet|done/i.test(m.subject)).length).toBe(1);
});
