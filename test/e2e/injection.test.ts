import { afterAll, beforeAll, expect, test } from 'vitest';
import { startLocalApp, type LocalApp } from './support/localApp.js';
import { approvalLink, decide, submit, waitForMail, waitForStatus } from './support/flow.js';

let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp();
});
afterAll(async () => {
  await app?.stop();
});

const SCRIPT = '<script>alert(1)</script>';
const ATTR = '"><img src=x onerror=alert(1)>';

function expectEscaped(html: string) {
  expect(html).not.toContain(SCRIPT);
  expect(html).not.toContain('<img src=x');
  expect(html).toContain('&lt;script&gt;');
}

test('HTML in every free-text field comes out escaped in pages and emails', async () => {
  const n = Date.now().toString(36);
  const sponsor = await app.addUser({ displayName: `Sponsor ${ATTR}`, mail: `inj.sponsor.${n}@contoso.com`, userType: 'Member' });
  const guest = await app.addUser({ displayName: `Guest ${SCRIPT}`, mail: `inj.${n}@fabrikam.example`, userType: 'Guest', sponsors: [sponsor.id] });
  const id = await submit(app, {
    currentEmail: guest.mail,
    newEmail: `inj.new.${n}@northwind.example`,
    reason: 'Other',
    reasonDetail: `Because ${SCRIPT} ${ATTR}`,
    displayName: `Me ${SCRIPT}${ATTR}`,
  });
  const approval = await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail');
  expectEscaped(approval.html);
  const notice = await waitForMail(app, (m) => m.to.includes(guest.mail), 'notice to the current address');
  expect(notice.html).not.toContain(SCRIPT);

  const link = approvalLink(approval);
  const page = await (await fetch(link)).text();
  expectEscaped(page);

  const result = await decide(link, 'approve', `ok ${SCRIPT}`);
  expect(result.status).toBe(200);
  expect(result.html).not.toContain(SCRIPT);
  await waitForStatus(app, id, 'Completed');

  for (const message of await app.outbox()) expect(message.html).not.toContain(SCRIPT);
  const outboxPage = await (await fetch(`${app.url}/_dev/outbox`)).text();
  expect(outboxPage).not.toContain(SCRIPT);
});
