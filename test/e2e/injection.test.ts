import { afterAll, beforeAll, expect, test } from 'vitest';
import { startLocalApp, type LocalApp } from './support/localApp.js';
import { approvalLink, confirmByMail, decide, submit, waitForMail, waitForStatus } from './support/flow.js';

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
  // The outcome mails go out after the status is stored: check them too.
  await waitForMail(app, (m) => m.to.includes(`inj.new.${n}@northwind.example`), 'redeem mail to the new address');

  for (const message of await app.outbox()) expect(message.html).not.toContain(SCRIPT);
  const outboxPage = await (await fetch(`${app.url}/_dev/outbox`)).text();
  expect(outboxPage).not.toContain(SCRIPT);
});

/** Bidi controls, zero-width characters and a BOM: text that reads differently from what it is. */
const INVISIBLE = ['\u202E', '\u202D', '\u2066', '\u2069', '\u200E', '\u200F', '\u061C', '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u180E'];
const CHROME_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

test('requester text arrives in mails without invisible characters, labelled as unverified; the device in words', async () => {
  const n = Date.now().toString(36);
  const sponsor = await app.addUser({ displayName: `Sponsor ${n}`, mail: `bidi.sponsor.${n}@contoso.com`, userType: 'Member' });
  const guest = await app.addUser({ displayName: `Guest ${n}`, mail: `bidi.${n}@fabrikam.example`, userType: 'Guest', sponsors: [sponsor.id] });
  const res = await app.json<{ requestId: string }>(
    'POST',
    '/api/requests',
    {
      currentEmail: guest.mail,
      newEmail: `bidi.new.${n}@northwind.example`,
      reason: 'Other',
      reasonDetail: `\uFEFFNew job. Approved by \u202Emoc.nimda\u202C IT${INVISIBLE.join('')} desk`,
      displayName: `Ada\u200B\u2066 Lovelace\u2069`,
    },
    { 'user-agent': CHROME_ON_WINDOWS },
  );
  expect(res.status).toBe(202);
  await confirmByMail(app, res.body.requestId);

  const approval = await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail');
  const notice = await waitForMail(app, (m) => m.to.includes(guest.mail), 'notice to the current address');
  for (const mail of [approval, notice]) {
    for (const c of INVISIBLE) expect(`${mail.subject}${mail.html}`).not.toContain(c);
  }
  expect(approval.html).toContain('Written by the requester, not verified');
  expect(approval.html).toContain('New job. Approved by moc.nimda IT desk');
  expect(approval.html).toContain('Ada Lovelace');
  expect(approval.html).toContain('Chrome 120 on Windows');
  expect(approval.html).not.toContain('Mozilla/5.0');

  const stored = await waitForStatus(app, res.body.requestId, 'AwaitingApproval');
  expect(JSON.stringify(stored.request)).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B-\u200F\u061C\u2060\uFEFF\u180E]/);
});
