import { afterAll, beforeAll, expect, test } from 'vitest';
import { startLocalApp, type LocalApp } from './support/localApp.js';
import { adminGet, guestWithSponsor, linkFor, postLinkForm, submit, waitForMail, waitForStatus } from './support/flow.js';

/**
 * Issue 8 part 6: an internal failure is stored, shown to admins and mailed as a generic text
 * with a reference, never with the stack and server paths durable-functions reports; the full
 * detail is in the log under that reference.
 */

const ADMINS = 'it-admins@contoso.com';
/** Stack frames, server paths, source positions. */
const LEAKS = /\bat \S+ \(|\bat \/|\/work\/|node_modules|\.js:\d|\\n\s*at /;

let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp({ env: { ADMIN_NOTIFICATION_EMAILS: ADMINS } });
});
afterAll(async () => {
  await app?.stop();
});

test('an activity failing for good: the request, its audit trail and every mail carry a reference, the log the stack', async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'internal');
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `internal.${Date.now()}@northwind.example` }, { confirm: false });
  const confirmation = await linkFor(app, 'confirmations', id);
  // Sending mail is refused for every try of the approval round (STEP_RETRY's four attempts), so
  // that step fails for good after the guest was screened; the mails about the failure then go out.
  const fault = await app.json('POST', '/_dev/graph/faults', { method: 'POST', path: '/v1.0/users/', status: 403, count: 4, code: 'ErrorAccessDenied', message: 'Access is denied.' });
  expect(fault.status).toBeLessThan(300);
  expect((await postLinkForm(confirmation)).status).toBe(200);

  const failed = await waitForStatus(app, id, 'Failed', 90_000);
  expect(failed.request.result).toEqual({ code: 'InternalError', message: expect.stringMatching(/^Internal error \(reference [0-9a-f-]{36}\)/) });
  const reference = /reference ([0-9a-f-]{36})/.exec(failed.request.result!.message!)![1]!;

  const view = JSON.stringify(await adminGet(app, id));
  expect(view).not.toMatch(LEAKS);

  // Each refused try is on the trail with Graph's words, so the admins see why the step failed.
  expect(failed.events.filter((e) => e.type === 'MailFailed').map((e) => e.detail)).toEqual(
    [1, 2, 3, 4].map((attempt) => expect.objectContaining({ key: expect.stringMatching(/^approval:/), attempt, status: 403, code: 'ErrorAccessDenied' })),
  );
  const adminMail = await waitForMail(app, (m) => m.to.includes(ADMINS) && m.html.includes(id), 'failure notice to the admins');
  expect(adminMail.html).toContain(reference);
  expect(adminMail.html).toContain('failed before anyone decided on it');
  expect(adminMail.html).not.toMatch(LEAKS);
  // The approver was never asked (every approval mail was refused), so is told nothing, least of all
  // that a change they approved failed.
  expect((await app.outbox()).filter((m) => m.to.includes(sponsor.mail))).toEqual([]);
  for (const mail of (await app.outbox()).filter((m) => m.html.includes(id) || m.to.includes(guest.mail))) {
    expect(`${mail.subject}\n${mail.html}`).not.toMatch(LEAKS);
  }

  // The operator finds the full detail, stack included, by the reference.
  const logged = app.output().split('\n').findIndex((line) => line.includes(`reference ${reference}`));
  expect(logged).toBeGreaterThanOrEqual(0);
  expect(app.output().split('\n').slice(logged, logged + 20).join('\n')).toMatch(/\n\s+at /);
}, 120_000);
