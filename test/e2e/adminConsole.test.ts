import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { axeViolations } from '../support/axe.js';
import { launchChromium } from '../support/chromium.js';
import { adminGet, approvalLink, consoleActionStep, csrfOf, guestWithSponsor, signInAs, submit, waitForMail, waitForStatus } from './support/flow.js';
import { startLocalApp, type LocalApp, type OutboxMessage } from './support/localApp.js';

/**
 * The admin console (DESIGN §4, `GET /api/admin/`) in real Chromium, signed in through the local
 * host's emulation of the platform's Entra sign-in: the admin role required, the list, a request
 * with its timeline, an action behind its confirmation step, the export; and over HTTP, what the
 * console refuses.
 */

const ADMIN_ROLE = 'GuestReset.Admin';
let app: LocalApp;
let browser: Browser;
beforeAll(async () => {
  app = await startLocalApp();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

/** A request of a fresh sponsored guest, confirmed and waiting for its approver. */
async function awaitingApproval(label: string) {
  const { guest } = await guestWithSponsor(app, label);
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `${label}.${unique()}@northwind.example` });
  await waitForStatus(app, id, 'AwaitingApproval');
  return { id, guest };
}

const newAdmin = () => app.addUser({ displayName: `Console Admin ${unique()}`, mail: `console.admin.${unique()}@contoso.com`, userType: 'Member' });

/** A page that records Content-Security-Policy complaints. */
async function watchedPage(page: Page): Promise<string[]> {
  const cspErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && /Content Security Policy/i.test(m.text()) && cspErrors.push(m.text()));
  return cspErrors;
}

test('in Chromium: signed out, sign in with the admin role; search, export, open a request, cancel it with a reason after confirming (by keyboard)', async () => {
  const { id, guest } = await awaitingApproval('console');
  const other = await awaitingApproval('console');
  const admin = await newAdmin();
  const page = await browser.newPage();
  const cspErrors = await watchedPage(page);

  // Signed out: the console offers the (emulated) Entra sign-in, which comes back to it.
  const signedOut = await page.goto(`${app.url}/api/admin/`);
  expect(signedOut?.status()).toBe(401);
  expect(await axeViolations(page)).toEqual([]);
  await page.click('a:text-is("Sign in")');
  await page.waitForSelector('h1:text-is("Sign in")');
  await page.check(`input[name=userId][value="${admin.id}"]`);
  await page.check(`input[name=role][value="${ADMIN_ROLE}"]`);
  await page.click('button[type=submit]');
  await page.waitForSelector('h1:text-is("Email change requests")');
  expect(new URL(page.url()).pathname).toBe('/api/admin/');
  expect(await axeViolations(page)).toEqual([]);
  expect(Number(await page.locator('.figures a:has-text("In review") strong').textContent())).toBeGreaterThanOrEqual(2);

  // Search: the start of the current address in capitals, two statuses at once.
  await page.fill('#email', guest.mail.slice(0, guest.mail.indexOf('@')).toUpperCase());
  await page.check('input[name=status][value=AwaitingApproval]');
  await page.check('input[name=status][value=Failed]');
  await page.click('button:text-is("Search")');
  await page.waitForSelector('h2:text-is("Requests, newest first")');
  expect(await page.$$eval('tbody tr a', (links) => links.map((a) => a.getAttribute('href')))).toEqual([`/api/admin/console/requests/${id}`]);
  expect(await page.isChecked('input[name=status][value=Failed]')).toBe(true);
  expect(await axeViolations(page)).toEqual([]);

  // Export: the same filters, as CSV.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:text-is("Export these as CSV")')]);
  const csv = fs.readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
  expect(csv[0]).toMatch(/^id,status,submittedAt,/);
  expect(csv.slice(1).map((line) => line.split(',')[0])).toEqual([id]);
  expect(csv.join('\n')).not.toContain(other.id);

  // The request: details, workflow, timeline in words.
  await page.click(`a[href="/api/admin/console/requests/${id}"]`);
  await page.waitForSelector(`h1:text-is("Request to change ${guest.mail}")`);
  const timeline = await page.locator('.timeline').textContent();
  expect(timeline).toContain('Request submitted from');
  expect(timeline).toContain('Approval asked of sponsor.');
  expect(await page.locator('dt:text-is("Runtime status") + dd').textContent()).toBe('Running');
  expect(await axeViolations(page)).toEqual([]);

  // The action's confirmation step changes nothing; then, by keyboard, a reason and the button.
  await page.focus('a:text-is("Cancel the request…")');
  await page.keyboard.press('Enter');
  await page.waitForSelector('h1:text-is("Cancel the request?")');
  expect(await axeViolations(page)).toEqual([]);
  expect((await adminGet(app, id)).request.status).toBe('AwaitingApproval');
  await page.focus('#reason');
  await page.keyboard.type('Asked twice by mistake');
  await page.keyboard.press('Tab');
  expect(await page.evaluate('document.activeElement.textContent')).toBe('Confirm: Cancel the request');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.notice');
  expect(new URL(page.url()).pathname).toBe(`/api/admin/console/requests/${id}`);
  expect(await axeViolations(page)).toEqual([]);

  const cancelled = await waitForStatus(app, id, 'Cancelled');
  expect(cancelled.request.cancelReason).toBe('Asked twice by mistake');
  // The admin's object id and name, as the sign-in gave them.
  expect(cancelled.events).toContainEqual(expect.objectContaining({ type: 'CancelRequested', actor: admin.displayName, detail: expect.objectContaining({ objectId: admin.id, username: admin.mail, origin: 'admin' }) }));
  // The workflow's own Cancelled event keeps them too: the display name alone is nobody in particular.
  expect(cancelled.events).toContainEqual(expect.objectContaining({ type: 'Cancelled', actor: admin.displayName, detail: expect.objectContaining({ objectId: admin.id, username: admin.mail }) }));
  await page.reload();
  expect(await page.locator('.timeline').textContent()).toContain('Cancelled by an admin: Asked twice by mistake.');
  // The user name first, as display names are not unique.
  expect(await page.locator('.timeline').textContent()).toContain(`by ${admin.mail} (${admin.displayName})`);
  expect(await page.locator('.action-list').textContent()).toContain('The request is already Cancelled.');
  await page.screenshot({ path: 'dist/browser-admin-console.png', fullPage: true });
  expect(cspErrors).toEqual([]);
  await page.close();
});

test('on a phone: the list and a request page fit the screen, the table scrolls in its own focusable region', async () => {
  const { id } = await awaitingApproval('phone');
  const admin = await newAdmin();
  const cookie = (await signInAs(app.url, { userId: admin.id }, [ADMIN_ROLE])).split('=');
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  await context.addCookies([{ name: cookie[0]!, value: cookie.slice(1).join('='), url: app.url }]);
  const page = await context.newPage();
  const overflow = () => page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  await page.goto(`${app.url}/api/admin/`);
  await page.waitForSelector('table');
  expect(await overflow()).toBe(0);
  expect(await page.getAttribute('.scroll', 'tabindex')).toBe('0');
  expect(await axeViolations(page)).toEqual([]);
  await page.goto(`${app.url}/api/admin/console/requests/${id}`);
  expect(await overflow()).toBe(0);
  expect(await axeViolations(page)).toEqual([]);
  await context.close();
});

test('signed in without the admin role: 403 page on every console route; the JSON API never takes the session, the console never takes a bearer token', async () => {
  const { id } = await awaitingApproval('norole');
  const user = await newAdmin();
  const page = await browser.newPage();
  const session = await signInAs(app.url, { userId: user.id });
  await page.setExtraHTTPHeaders({ cookie: session });
  const refused = await page.goto(`${app.url}/api/admin/`);
  expect(refused?.status()).toBe(403);
  expect(await page.textContent('h1')).toBe('Not an administrator');
  expect(await page.textContent('main')).toContain(`You are signed in as ${user.mail}`);
  expect(await axeViolations(page)).toEqual([]);
  await page.close();
  for (const path of [`/api/admin/console/requests/${id}`, `/api/admin/console/requests/${id}/cancel`, '/api/admin/console/export']) {
    expect((await fetch(`${app.url}${path}`, { headers: { cookie: session } })).status, path).toBe(403);
  }

  const adminSession = await signInAs(app.url, { userId: user.id }, [ADMIN_ROLE]);
  expect((await app.json('GET', '/api/admin/requests', undefined, { cookie: adminSession })).status).toBe(401);
  // A bearer token is an API call, even beside a session (in Azure the platform would make a principal of it).
  const bearer = { authorization: `Bearer ${await app.adminToken()}` };
  for (const headers of [bearer, { ...bearer, cookie: adminSession }]) {
    const page = await fetch(`${app.url}/api/admin/`, { headers });
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('/.auth/login/aad?post_login_redirect_uri=%2Fapi%2Fadmin%2F');
  }
  expect((await fetch(`${app.url}/api/admin/`, { headers: { cookie: adminSession } })).status).toBe(200);
});

test('an action is refused without its form value, for another admin, or from another site; an empty reason asks again; release-lock frees the guest once', async () => {
  const { id, guest } = await awaitingApproval('forms');
  const [first, second] = [await newAdmin(), await newAdmin()];
  const [asFirst, asSecond] = [await signInAs(app.url, { userId: first.id }, [ADMIN_ROLE]), await signInAs(app.url, { userId: second.id }, [ADMIN_ROLE])];
  const action = `${app.url}/api/admin/console/requests/${id}/release-lock`;
  const confirmPage = await fetch(action, { headers: { cookie: asFirst } });
  expect(confirmPage.status).toBe(200);
  const csrf = csrfOf(await confirmPage.text())!;
  const post = (cookie: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(action, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });

  expect((await post(asFirst, { reason: 'Stuck' })).status).toBe(403);
  expect((await post(asSecond, { csrf, reason: 'Stuck' })).status).toBe(403);
  expect((await post(asFirst, { csrf, reason: 'Stuck' }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).status).toBe(403);
  const empty = await post(asFirst, { csrf, reason: '  ' });
  expect(empty.status).toBe(400);
  expect(await empty.text()).toContain('Give a reason of 1 to 500 characters.');
  expect((await adminGet(app, id)).events.some((e) => e.type === 'GuestLockReleased')).toBe(false);

  const released = await post(asFirst, { csrf, reason: 'Stuck after a purge' }, { origin: app.url, 'sec-fetch-site': 'same-origin' });
  expect(released.status).toBe(303);
  expect(released.headers.get('location')).toBe(`/api/admin/console/requests/${id}?done=release-lock`);
  expect((await adminGet(app, id)).events).toContainEqual(
    expect.objectContaining({ type: 'GuestLockReleased', actor: first.displayName, detail: expect.objectContaining({ guestId: guest.id, reason: 'Stuck after a purge', objectId: first.id, username: first.mail }) }),
  );
  // The lock is gone: the action no longer applies, nor is it offered.
  const again = await post(asFirst, { csrf, reason: 'Again' });
  expect(again.status).toBe(404);
  expect(await again.text()).toContain('This guest has no lock.');
  expect((await fetch(action, { headers: { cookie: asFirst } })).status).toBe(409);

  // A cancel posted once the request is over is refused and audited with the admin, as the API does.
  const cancel = `${app.url}/api/admin/console/requests/${id}/cancel`;
  const cancelCsrf = csrfOf(await (await fetch(cancel, { headers: { cookie: asFirst } })).text())!;
  const postCancel = () =>
    fetch(cancel, { method: 'POST', redirect: 'manual', headers: { cookie: asFirst, 'content-type': 'application/x-www-form-urlencoded' }, body: `csrf=${encodeURIComponent(cancelCsrf)}&reason=Done` });
  expect((await postCancel()).status).toBe(303);
  await waitForStatus(app, id, 'Cancelled');
  const late = await postCancel();
  expect(late.status).toBe(409);
  expect(await late.text()).toContain('The request is already Cancelled.');
  expect((await adminGet(app, id)).events).toContainEqual(
    expect.objectContaining({ type: 'CancelIgnored', actor: first.displayName, detail: expect.objectContaining({ objectId: first.id, username: first.mail, why: 'The request is already Cancelled.' }) }),
  );
});

test('resend from the console: fresh links to the approver, the old one stops working, audited with the admin; not offered once the request is over', async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'resend');
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `resend.${unique()}@northwind.example` });
  const toSponsor = (m: OutboxMessage) => m.to.includes(sponsor.mail) && m.links.some((l) => l.includes('/api/approvals/'));
  const oldLink = approvalLink(await waitForMail(app, toSponsor, 'the approval mail'));
  const admin = await newAdmin();
  const cookie = await signInAs(app.url, { userId: admin.id }, [ADMIN_ROLE]);
  const step = await consoleActionStep(app, cookie, id, 'resend');
  expect(step.status).toBe(200);
  expect(step.html).toContain(sponsor.mail);
  const posted = await step.post({ reason: 'Sponsor lost the mail' });
  expect(posted.status).toBe(303);
  expect(posted.headers.get('location')).toBe(`/api/admin/console/requests/${id}?done=resend`);
  const newLink = approvalLink(await waitForMail(app, (m) => toSponsor(m) && !m.links.includes(oldLink), 'the resent approval mail'));
  expect(newLink).not.toBe(oldLink);
  expect((await fetch(oldLink)).status).toBe(410);
  expect((await fetch(newLink)).status).toBe(200);
  expect((await adminGet(app, id)).events).toContainEqual(
    expect.objectContaining({ type: 'ApprovalLinksResent', actor: admin.displayName, detail: expect.objectContaining({ reason: 'Sponsor lost the mail', objectId: admin.id, username: admin.mail }) }),
  );

  await app.json('POST', `/api/admin/requests/${id}/cancel`, { reason: 'Done with it' }, { authorization: `Bearer ${await app.adminToken()}` });
  await waitForStatus(app, id, 'Cancelled');
  const over = await fetch(step.url, { headers: { cookie } });
  expect(over.status).toBe(409);
  expect(await over.text()).toContain('links are resent only while it awaits approval');
});

test('assign another approver from the console: someone who may not approve is asked again as typed; a member is assigned, mailed a link, audited', async () => {
  const { id, guest } = await awaitingApproval('reassign');
  const colleague = await app.addUser({ displayName: `Colleague ${unique()}`, mail: `colleague.${unique()}@contoso.com`, userType: 'Member' });
  const admin = await newAdmin();
  const cookie = await signInAs(app.url, { userId: admin.id }, [ADMIN_ROLE]);
  const step = await consoleActionStep(app, cookie, id, 'reassign');
  expect(step.status).toBe(200);
  expect(step.html).toContain('<input id="approverId" name="approverId" type="text"');
  const post = step.post;

  const refused = await post({ approverId: guest.id, reason: 'Sponsor on leave' });
  expect(refused.status).toBe(400);
  const again = await refused.text();
  expect(again).toContain('This is the guest whose sign-in email would change.');
  expect(again).toContain(`value="${guest.id}"`);

  const assigned = await post({ approverId: colleague.id, reason: 'Sponsor on leave' });
  expect(assigned.status).toBe(303);
  expect(assigned.headers.get('location')).toBe(`/api/admin/console/requests/${id}?done=reassign`);
  await waitForMail(app, (m) => m.to.includes(colleague.mail) && m.links.some((l) => l.includes('/api/approvals/')), 'the new approver’s link');
  const view = await adminGet(app, id);
  expect(view.request.approvers.map((a: { id: string }) => a.id)).toContain(colleague.id);
  expect(view.events).toContainEqual(
    expect.objectContaining({ type: 'ApproverAssigned', actor: admin.displayName, detail: expect.objectContaining({ reason: 'Sponsor on leave', objectId: admin.id, username: admin.mail }) }),
  );
});

test('HEAD answers wherever GET does; a bad filter is a 400 page naming it', async () => {
  const admin = await newAdmin();
  const cookie = await signInAs(app.url, { userId: admin.id }, [ADMIN_ROLE]);
  const head = await fetch(`${app.url}/api/admin/`, { method: 'HEAD', headers: { cookie } });
  expect(head.status).toBe(200);
  expect(head.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(head.headers.get('cache-control')).toBe('no-store');
  const bad = await fetch(`${app.url}/api/admin/?status=Pending&colour=red`, { headers: { cookie } });
  expect(bad.status).toBe(400);
  const html = await bad.text();
  expect(html).toContain('status: Must be one or more of');
  expect(html).toContain('colour: Unknown query parameter');
  const unknown = await fetch(`${app.url}/api/admin/console/requests/no-such-request`, { headers: { cookie } });
  expect(unknown.status).toBe(404);
  expect(await unknown.text()).toContain('<title>Request not found');
});

test('paging keeps the filters: Next page shows the older request, and the last page has no next link', async () => {
  const older = await awaitingApproval('paging');
  const newer = await awaitingApproval('paging');
  const admin = await newAdmin();
  const cookie = await signInAs(app.url, { userId: admin.id }, [ADMIN_ROLE]);
  const rowsOf = (html: string) => [...html.matchAll(/<td><a href="\/api\/admin\/console\/requests\/([^"]+)"/g)].map((m) => m[1]);
  const nextOf = (html: string) => /<a href="([^"]+)" rel="next">/.exec(html)?.[1]?.replaceAll('&amp;', '&');

  const first = await (await fetch(`${app.url}/api/admin/?email=PAGING.&status=AwaitingApproval&top=1`, { headers: { cookie } })).text();
  expect(rowsOf(first)).toEqual([newer.id]);
  const next = nextOf(first)!;
  expect(new URL(next, app.url).searchParams.get('email')).toBe('PAGING.');
  const second = await (await fetch(new URL(next, app.url), { headers: { cookie } })).text();
  expect(rowsOf(second)).toEqual([older.id]);
  expect(nextOf(second)).toBeUndefined();
});
