import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, startLocalApp, type LocalApp } from './support/localApp.js';
import { approvalLink, confirmByMail, csrfOf, decide, guestWithSponsor, linkFor, postLinkForm, signInAs, submit, waitForMail, waitForStatus } from './support/flow.js';
import { adminCall } from './support/openApi.js';

/**
 * The links mailed to the requester and to the owner of the current address (DESIGN §2 steps 3 and
 * 5, §4 Public), over real HTTP: what each GET shows, what each POST does, and what they refuse.
 */

const ADMINS = 'identity-team@contoso.com';
const env = { RATE_LIMIT_PER_SOURCE: '1000', ADMIN_NOTIFICATION_EMAILS: ADMINS };
let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp({ env });
});
afterAll(async () => {
  await app?.stop();
});

const stamp = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const statusOfPage = (html: string) => /<dt>Status<\/dt><dd><strong>([^<]+)<\/strong>/.exec(html)?.[1];
const form = (fields: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(fields).toString(),
});

describe('the new address confirms first', () => {
  test('nobody is asked and the current address hears nothing before the confirmation; GET never confirms', async () => {
    const { guest, sponsor } = await guestWithSponsor(app, 'confirm');
    const id = await submit(app, { currentEmail: guest.mail, newEmail: `confirm.${stamp()}@northwind.example` }, { confirm: false });
    const link = await linkFor(app, 'confirmations', id);
    for (let i = 0; i < 2; i++) expect((await fetch(link)).status).toBe(200);
    expect((await fetch(link, { method: 'HEAD' })).status).toBe(200);
    const waiting = await waitForStatus(app, id, 'AwaitingConfirmation');
    expect(waiting.request.guestId ?? null).toBeNull();
    const outbox = await app.outbox();
    expect(outbox.filter((m) => m.to.includes(sponsor.mail) || m.to.includes(guest.mail))).toEqual([]);

    const confirmed = await postLinkForm(link);
    expect(confirmed.status).toBe(200);
    expect(confirmed.html).toMatch(/href="http[^"]+\/api\/track\/[^"]+"/);
    await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'the approval mail, after the confirmation');
    await waitForMail(app, (m) => m.to.includes(guest.mail), 'the notice to the current address, after the confirmation');

    // Used: the page and a second post say it was already confirmed.
    const again = await fetch(link);
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('already confirmed');
  });

  test('an unknown guest gets the same confirmation mail, and is declined only after confirming', async () => {
    const id = await submit(app, { currentEmail: `nobody.${stamp()}@fabrikam.example`, newEmail: `nobody.${stamp()}@northwind.example` }, { confirm: false });
    await waitForStatus(app, id, 'AwaitingConfirmation');
    await confirmByMail(app, id);
    expect((await waitForStatus(app, id, 'Declined')).request.declineReason).toBe('GuestNotFound');
  });

  test('refused: no anti-forgery value (403), another site (403), a tampered token (404), a link of another kind (404)', async () => {
    const id = await submit(app, { currentEmail: `x.${stamp()}@fabrikam.example`, newEmail: `x.${stamp()}@northwind.example` }, { confirm: false });
    const link = await linkFor(app, 'confirmations', id);
    const csrf = csrfOf(await (await fetch(link)).text())!;
    expect((await fetch(link, form({}))).status).toBe(403);
    expect((await fetch(link, form({ csrf }, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }))).status).toBe(403);
    const tampered = link.slice(0, -2) + (link.endsWith('AA') ? 'QA' : 'AA');
    expect((await fetch(tampered)).status).toBe(404);
    const track = await linkFor(app, 'track', id);
    expect((await fetch(track.replace('/api/track/', '/api/confirmations/'))).status).toBe(404);
    expect((await fetch(link.replace('/api/confirmations/', '/api/reports/'))).status).toBe(404);
    // None of that confirmed anything.
    expect((await waitForStatus(app, id, 'AwaitingConfirmation')).request.status).toBe('AwaitingConfirmation');
  });
});

describe('the requester tracks and cancels', () => {
  test('the tracking page says "In review" while approvers decide, and Cancel after a decision is a 409', async () => {
    const { guest, sponsor } = await guestWithSponsor(app, 'track');
    const id = await submit(app, { currentEmail: guest.mail, newEmail: `track.${stamp()}@northwind.example` });
    await waitForStatus(app, id, 'AwaitingApproval');
    const track = await linkFor(app, 'track', id);
    const page = await (await fetch(track)).text();
    expect(statusOfPage(page)).toBe('In review');
    expect(page).toContain(id);
    expect((await fetch(track, { method: 'HEAD' })).status).toBe(200);
    const csrf = csrfOf(page)!;

    expect((await decide(approvalLink(await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval')), 'reject', 'Not known')).status).toBe(200);
    await waitForStatus(app, id, 'Rejected');
    expect((await fetch(track, form({ action: 'cancel', csrf }))).status).toBe(409);
    expect(statusOfPage(await (await fetch(track)).text())).toBe('Closed');
  });

  test('cancelling while the confirmation waits ends the request Cancelled by the requester; the confirmation link then says so; the owner, never told, hears nothing', async () => {
    const { guest } = await guestWithSponsor(app, 'early');
    const id = await submit(app, { currentEmail: guest.mail, newEmail: `c.${stamp()}@northwind.example` }, { confirm: false });
    const track = await linkFor(app, 'track', id);
    const trackPage = await (await fetch(track)).text();
    expect(statusOfPage(trackPage)).toBe('Waiting for you to confirm');
    const trackCsrf = csrfOf(trackPage)!;
    const cancelled = await postLinkForm(track, { action: 'cancel' });
    expect(cancelled.status).toBe(202);
    const done = await waitForStatus(app, id, 'Cancelled');
    expect(done.request).toMatchObject({ cancelledBy: 'requester' });
    const confirmation = await fetch(await linkFor(app, 'confirmations', id));
    expect(confirmation.status).toBe(410);
    expect(await confirmation.text()).toContain('cancelled');
    // A double click on Cancel (the same form posted again) gets the same answer, not "already decided".
    expect((await fetch(track, form({ action: 'cancel', csrf: trackCsrf }))).status).toBe(202);
    expect((await app.outbox()).filter((m) => m.to.includes(guest.mail))).toEqual([]);
  });
});

describe('a declined request cannot be told from a waiting one', () => {
  /** What the tracking link of a request shows and answers: before a cancel, to two cancels, after. */
  async function trackAndCancel(id: string): Promise<[string | undefined, number, number, string | undefined]> {
    const track = await linkFor(app, 'track', id);
    const page = await (await fetch(track)).text();
    const before = statusOfPage(page);
    // Pressed twice: the same form posted again.
    const post = async () => (await fetch(track, form({ action: 'cancel', csrf: csrfOf(page)! }))).status;
    const first = await post();
    const second = await post();
    const after = await eventually(async () => {
      const status = statusOfPage(await (await fetch(track)).text());
      return status === 'Closed' ? status : undefined;
    }, 10_000, 'the page to read Closed (long before the approval deadline)');
    return [before, first, second, after];
  }

  test('a declined request reads and cancels exactly like a waiting one: "In review", 202 twice, then "Closed"', async () => {
    const ghost = await submit(app, { currentEmail: `ghost.${stamp()}@fabrikam.example`, newEmail: `ghost.${stamp()}@northwind.example` });
    await waitForStatus(app, ghost, 'Declined');
    const { guest } = await guestWithSponsor(app, 'real');
    const real = await submit(app, { currentEmail: guest.mail, newEmail: `real.${stamp()}@northwind.example` });
    await waitForStatus(app, real, 'AwaitingApproval');
    expect(await trackAndCancel(ghost)).toEqual(['In review', 202, 202, 'Closed']);
    expect(await trackAndCancel(real)).toEqual(['In review', 202, 202, 'Closed']);
    // The declined request's cancel is recorded once, however often it is pressed.
    const view = await waitForStatus(app, ghost, 'Declined');
    expect(view.events.filter((e) => e.type === 'CancelRequested')).toHaveLength(1);
  });

});

describe('the owner of the current address reports', () => {
  test('"this wasn\'t me" on a completed request alerts the admins at once; the change-made mail carries a report link', async () => {
    const { guest, sponsor } = await guestWithSponsor(app, 'owner');
    const id = await submit(app, { currentEmail: guest.mail, newEmail: `owner.${stamp()}@northwind.example` });
    expect((await decide(approvalLink(await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval')), 'approve')).status).toBe(200);
    await waitForStatus(app, id, 'Completed');
    const changeMade = await waitForMail(app, (m) => m.to.includes(guest.mail) && m.subject === 'Your sign-in email was changed', 'the change-made mail');
    const report = changeMade.links.find((l) => l.includes('/api/reports/'))!;
    // The page says the change was made: too late to stop, not too late to report.
    const opened = await fetch(report);
    expect(opened.status).toBe(200);
    const reportPage = await opened.text();
    expect(reportPage).toContain('was changed from');
    expect(reportPage).toContain('It can no longer be stopped here, but it can be undone');
    expect(reportPage).not.toContain('Stop it here');
    expect(reportPage.match(/<button /g)).toHaveLength(1);
    expect(csrfOf(reportPage)).toBeTruthy();
    const result = await postLinkForm(report);
    expect(result.status).toBe(200);
    expect(result.html).toContain('Administrators alerted');
    const alert = await waitForMail(app, (m) => m.to.includes(ADMINS) && m.subject.startsWith('Action needed:'), 'the admins alerted');
    expect(alert.html).toContain(id);
    // A second report sends no second alert, and the request keeps its outcome.
    expect((await postLinkForm(report)).status).toBe(200);
    const view = await waitForStatus(app, id, 'Completed');
    expect(view.events.filter((e) => e.type === 'ReportedByOwner')).toHaveLength(1);
    expect((await app.outbox()).filter((m) => m.to.includes(ADMINS) && m.subject.startsWith('Action needed:') && m.html.includes(id))).toHaveLength(1);

    // The admins see the report: on the request, in the list filtered for reports, and in the console's figure and list.
    expect(view.request).toMatchObject({ status: 'Completed', reportedByOwner: true, result: { invitationId: expect.any(String) } });
    const listed = await adminCall<{ items: { id: string }[] }>(app, 'GET', `/api/admin/requests?reportedByOwner=true&email=${encodeURIComponent(guest.mail)}`);
    expect(listed.body.items.map((item) => item.id)).toEqual([id]);
    const cookie = await signInAs(app.url, { mail: sponsor.mail }, ['GuestReset.Admin']);
    const consolePage = await (await fetch(`${app.url}/api/admin/`, { headers: { cookie } })).text();
    const figure = /<a href="([^"]+)"><strong>(\d+)\+?<\/strong> Owner reports, last 7 days<\/a>/.exec(consolePage);
    expect(Number(figure?.[2])).toBeGreaterThanOrEqual(1);
    const reports = await (await fetch(new URL(figure![1]!.replaceAll('&amp;', '&'), app.url), { headers: { cookie } })).text();
    expect(reports).toContain(`/api/admin/console/requests/${id}`);
    expect(reports).toContain('· reported by owner');
  });
});

describe('with no admin addresses (the default): the owner is told what really happens, and every alert dropped is logged', () => {
  let quiet: LocalApp;
  beforeAll(async () => {
    quiet = await startLocalApp({ env: { ...env, ADMIN_NOTIFICATION_EMAILS: '' } });
  });
  afterAll(async () => {
    await quiet?.stop();
  });
  const warnings = (text: string) => quiet.output().split('\n').filter((line) => line.includes(text));

  test('a report that stops the request and one after the change: no page promises an alert; the start-up and each dropped alert warn', async () => {
    expect(warnings('ADMIN_NOTIFICATION_EMAILS is empty')).toHaveLength(1);

    const { guest } = await guestWithSponsor(quiet, 'quiet');
    const undecided = await submit(quiet, { currentEmail: guest.mail, newEmail: `quiet.${stamp()}@northwind.example` });
    await waitForStatus(quiet, undecided, 'AwaitingApproval');
    const report = await linkFor(quiet, 'reports', undecided);
    const page = await (await fetch(report)).text();
    expect(page).toContain('your report is recorded for the administrators, who see it in their console');
    expect(page).not.toContain('administrators are alerted');
    const stopped = await postLinkForm(report);
    expect(stopped.status).toBe(200);
    expect(stopped.html).toContain('Request stopped');
    expect(stopped.html).not.toMatch(/administrators[^.]*alerted/);
    await waitForStatus(quiet, undecided, 'Cancelled');
    await eventually(async () => (warnings(`Admin alert owner-report of request ${undecided} was not sent`).length === 1 ? true : undefined), 10_000, 'the instance to warn of its dropped alert');

    const { guest: changed, sponsor } = await guestWithSponsor(quiet, 'quietdone');
    const completed = await submit(quiet, { currentEmail: changed.mail, newEmail: `quietdone.${stamp()}@northwind.example` });
    expect((await decide(approvalLink(await waitForMail(quiet, (m) => m.to.includes(sponsor.mail), 'approval')), 'approve')).status).toBe(200);
    await waitForStatus(quiet, completed, 'Completed');
    const changeMade = await waitForMail(quiet, (m) => m.to.includes(changed.mail) && m.subject === 'Your sign-in email was changed', 'the change-made mail');
    const late = await postLinkForm(changeMade.links.find((l) => l.includes('/api/reports/'))!);
    expect(late.status).toBe(200);
    expect(late.html).toContain('Report recorded');
    expect(late.html).toContain('nobody is alerted by email');
    expect(warnings(`Admin alert owner-report of request ${completed} was not sent`)).toHaveLength(1);
  });
});

describe('every approver who was asked hears how it ended', () => {
  test('a reset that fails: the approver who did not decide is told too', async () => {
    const sponsors = await Promise.all([1, 2].map((i) => app.addUser({ displayName: `Sponsor ${i}`, mail: `two.${i}.${stamp()}@contoso.com`, userType: 'Member' })));
    const guest = await app.addUser({ displayName: 'Two sponsors', mail: `two.${stamp()}@fabrikam.example`, userType: 'Guest', sponsors: sponsors.map((s) => s.id) });
    const id = await submit(app, { currentEmail: guest.mail, newEmail: `two.${stamp()}@northwind.example` });
    const [first, second] = sponsors;
    const approval = await waitForMail(app, (m) => m.to.includes(first.mail) && m.links.some((l) => l.includes(`/api/approvals/${id}.`)), 'approval');
    await waitForMail(app, (m) => m.to.includes(second.mail) && m.links.some((l) => l.includes(`/api/approvals/${id}.`)), 'approval to the second sponsor');
    await app.json('POST', '/_dev/graph/faults', { method: 'POST', path: '/v1.0/invitations', status: 403, count: 1, code: 'Authorization_RequestDenied', message: 'Insufficient privileges.' });
    expect((await decide(approvalLink(approval), 'approve')).status).toBe(200);
    await waitForStatus(app, id, 'Failed');
    const told = await waitForMail(app, (m) => m.to.includes(second.mail) && m.subject.startsWith('Closed:'), 'the other sponsor told');
    expect(told.html).toContain('could not be made');
  });
});

describe('with short deadlines', () => {
  let fast: LocalApp;
  beforeAll(async () => {
    fast = await startLocalApp({ env: { ...env, CONFIRMATION_TIMEOUT: 'PT3S', APPROVAL_TIMEOUT: 'PT8S', APPROVAL_REMINDER_AFTER: 'PT6S' } });
  });
  afterAll(async () => {
    await fast?.stop();
  });

  test('unconfirmed at CONFIRMATION_TIMEOUT: Expired, and the link says it expired', async () => {
    const id = await submit(fast, { currentEmail: `late.${stamp()}@fabrikam.example`, newEmail: `late.${stamp()}@northwind.example` }, { confirm: false });
    const link = await linkFor(fast, 'confirmations', id);
    await waitForStatus(fast, id, 'Expired');
    const page = await fetch(link);
    expect(page.status).toBe(410);
    expect(await page.text()).toContain('expired');
  });

  test('a declined request nobody cancels reads "Closed" once its approval deadline would have passed', async () => {
    const id = await submit(fast, { currentEmail: `ghost.${stamp()}@fabrikam.example`, newEmail: `ghost.${stamp()}@northwind.example` });
    await waitForStatus(fast, id, 'Declined');
    const track = await linkFor(fast, 'track', id);
    const page = await (await fetch(track)).text();
    expect(statusOfPage(page)).toBe('In review');
    expect(page).toContain('Decision due by');
    await eventually(async () => (statusOfPage(await (await fetch(track)).text()) === 'Closed' ? true : undefined), 30_000, 'the page to read Closed');
  });
});

describe('with confirmation turned off', () => {
  let open: LocalApp;
  beforeAll(async () => {
    open = await startLocalApp({ env: { ...env, REQUIRE_NEW_EMAIL_CONFIRMATION: 'false' } });
  });
  afterAll(async () => {
    await open?.stop();
  });

  test('the new address gets its tracking link and the approvers are asked at once', async () => {
    const { guest, sponsor } = await guestWithSponsor(open, 'open');
    const newEmail = `open.${stamp()}@northwind.example`;
    const id = await submit(open, { currentEmail: guest.mail, newEmail }, { confirm: false });
    await waitForStatus(open, id, 'AwaitingApproval');
    await waitForMail(open, (m) => m.to.includes(sponsor.mail), 'the approval mail');
    const received = await waitForMail(open, (m) => m.to.includes(newEmail), 'the received mail');
    expect(received.subject).toBe('Your sign-in email change request was received');
    expect(received.links.some((l) => l.includes(`/api/track/${id}.`))).toBe(true);
    expect(received.links.some((l) => l.includes('/api/confirmations/'))).toBe(false);
  });
});
