import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { axeViolations } from '../support/axe.js';
import { launchChromium } from '../support/chromium.js';
import { eventually, startLocalApp, type LocalApp } from './support/localApp.js';
import { approvalLink, guestWithSponsor, linkFor, submit, waitForMail, waitForStatus, type RequestView } from './support/flow.js';

const ADMINS = 'identity-team@contoso.com';
let app: LocalApp;
let browser: Browser;
beforeAll(async () => {
  // Every page here comes from one source address; only the per-address limit is under test, in
  // one window for the whole file (an hour boundary must not reset the count).
  app = await startLocalApp({ env: { RATE_LIMIT_PER_SOURCE: '1000', RATE_LIMIT_PER_TARGET: '3', RATE_LIMIT_WINDOW: 'P3650D', ADMIN_NOTIFICATION_EMAILS: ADMINS } });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

/** Opens the newest link of that kind mailed for the request, from the outbox page, as a person would. */
async function openMailedLink(page: Page, kind: 'confirmations' | 'track' | 'reports', requestId: string): Promise<string> {
  const link = await linkFor(app, kind, requestId);
  await page.goto(`${app.url}/_dev/outbox`);
  expect(await page.locator(`a[href="${link}"]`).count()).toBeGreaterThan(0);
  await page.goto(link);
  return link;
}

/** The id of the request just submitted from the form: the newest in the admin list. */
async function newestRequestId(newEmail: string): Promise<string> {
  return eventually(async () => {
    const list = await app.json<{ items: RequestView[] }>('GET', `/api/admin/requests?email=${encodeURIComponent(newEmail)}`, undefined, { authorization: `Bearer ${await app.adminToken()}` });
    return list.body.items?.[0]?.id;
  }, 30_000, `the request for ${newEmail}`);
}

test('in Chromium: submit the form, confirm from the mail, follow the approval link, approve, see Completed', async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'browser');
  const newEmail = `browser.${Date.now()}@northwind.example`;
  const page = await browser.newPage();
  const cspErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && cspErrors.push(m.text()));

  await page.goto(`${app.url}/api/requests/new`);
  // The organisation heads every page and its support contact ends it (ORG_NAME, SUPPORT_CONTACT).
  expect(await page.textContent('header')).toBe('Contoso');
  expect(await page.getAttribute('footer a', 'href')).toBe('mailto:helpdesk@contoso.com');
  await page.fill('[name=currentEmail]', guest.mail);
  await page.fill('[name=newEmail]', newEmail);
  await page.selectOption('[name=reason]', 'MovedCompany');
  await page.fill('[name=reasonDetail]', 'I joined Northwind');
  await page.click('button[type=submit], input[type=submit]');
  await page.waitForSelector('h1:text-is("Request received")');

  // The new address confirms first: nobody is asked before.
  const requestId = await newestRequestId(newEmail);
  await openMailedLink(page, 'confirmations', requestId);
  expect(await page.textContent('body')).toContain(newEmail);
  expect(await axeViolations(page)).toEqual([]);
  expect((await app.outbox()).some((m) => m.to.includes(sponsor.mail))).toBe(false);
  await page.click('button:text-is("Yes, I asked for this")');
  await page.waitForSelector('h1:text-is("Request confirmed")');
  expect(await axeViolations(page)).toEqual([]);
  const trackHref = await page.getAttribute('a:text-is("Track your request")', 'href');
  await page.goto(trackHref!);
  expect(await page.textContent('dd strong')).toMatch(/^(Waiting for you to confirm|In review)$/);
  expect(await axeViolations(page)).toEqual([]);

  await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail');
  await page.goto(`${app.url}/_dev/outbox`);
  const href = await page.getAttribute(`a[href*="/api/approvals/"]`, 'href');
  expect(href).toBeTruthy();
  const mail = (await app.outbox()).find((m) => m.to.includes(sponsor.mail))!;
  expect(href).toBe(approvalLink(mail));

  // Not signed in: the page shows the request and offers sign-in; the emulated Entra sign-in
  // page lets one pick the sponsor and comes back to the approval page.
  await page.goto(href!);
  expect(await page.textContent('body')).toContain(newEmail);
  expect(await axeViolations(page)).toEqual([]);
  expect(await page.locator('button[value=approve]').count()).toBe(0);
  await page.click('a:text-is("Sign in to decide")');
  await page.waitForSelector('h1:text-is("Sign in")');
  await page.check(`input[name=userId][value="${sponsor.id}"]`);
  await page.click('button[type=submit]');
  await page.waitForURL(href!);
  await page.fill('[name=comment]', 'Checked with the team');
  await page.click('button[value=approve]');
  await page.waitForSelector('h1:text-is("Change approved")');
  expect(await axeViolations(page)).toEqual([]);

  expect(/\/api\/approvals\/([0-9a-f-]{36})\./.exec(href!)![1]).toBe(requestId);
  const done = await waitForStatus(app, requestId, 'Completed');
  await page.goto(trackHref!);
  expect(await page.textContent('dd strong')).toBe('Completed');
  expect(done.request.decision?.comment).toBe('Checked with the team');
  await page.screenshot({ path: 'dist/browser-approval.png' });
  expect(cspErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
});

/** A page that records the console's CSP complaints and every POST it sends. */
async function watchedPage(): Promise<{ page: Page; cspErrors: string[]; posts: string[] }> {
  const page = await browser.newPage();
  const cspErrors: string[] = [];
  const posts: string[] = [];
  page.on('console', (m) => m.type() === 'error' && /Content Security Policy/i.test(m.text()) && cspErrors.push(m.text()));
  page.on('request', (r) => r.method() === 'POST' && posts.push(r.url()));
  return { page, cspErrors, posts };
}

/** What the summary's links point at: [href, tag of the element with that id, link text]. */
const summaryLinks = (page: Page) =>
  page.$$eval('.summary a', (links) =>
    links.map((a) => {
      const href = a.getAttribute('href') ?? '';
      return [href, a.ownerDocument.getElementById(href.slice(1))?.tagName.toLowerCase() ?? 'none', a.textContent];
    }),
  );

test('in Chromium: a failed submit focuses the error summary, whose items link to their fields, under an "Error:" title', async () => {
  const { page, cspErrors } = await watchedPage();
  await page.goto(`${app.url}/api/requests/new`);
  expect(await axeViolations(page)).toEqual([]);
  await page.fill('[name=currentEmail]', 'not-an-address');
  await page.fill('[name=newEmail]', 'jürgen@northwind.example');
  await page.fill('[name=reasonDetail]', 'I joined Northwind');
  const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[type=submit]')]);
  expect(response.status()).toBe(400);
  await page.waitForSelector('.summary');

  expect(await page.title()).toMatch(/^Error: Change your sign-in email/);
  expect(await page.evaluate('document.activeElement.className')).toBe('summary');
  expect(await summaryLinks(page)).toEqual([
    ['#currentEmail', 'input', 'The current email is not a valid email address: enter one like name@example.com.'],
    ['#newEmail', 'input', expect.stringContaining('Microsoft Graph does not accept accented')],
    ['#reason', 'select', 'Choose a reason.'],
  ]);
  await page.click('.summary a[href="#newEmail"]');
  expect(await page.evaluate('document.activeElement.id')).toBe('newEmail');
  expect(await page.inputValue('[name=reasonDetail]')).toBe('I joined Northwind');
  // The counter starts from what the re-rendered form holds.
  expect(await page.textContent('#reasonDetail-count')).toBe(`${1000 - 'I joined Northwind'.length} of 1000 characters left`);
  expect(await axeViolations(page)).toEqual([]);
  expect(cspErrors).toEqual([]);
});

test('in Chromium with JavaScript off: the form still posts, the summary still takes focus, the counter stays hidden', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${app.url}/api/requests/new`);
  expect(await page.locator('#reasonDetail-count').isVisible()).toBe(false);
  expect(await page.textContent('#reasonDetail-hint')).toMatch(/at most 1000 characters/);
  await page.fill('[name=newEmail]', 'ada@northwind.example');
  await page.click('button[type=submit]');
  await page.waitForSelector('.summary');
  expect(await page.title()).toMatch(/^Error: /);
  expect(await page.evaluate('document.activeElement.className')).toBe('summary');
  await context.close();
});

test('in Chromium: the detail field counts down its limit as one types, in a polite live region', async () => {
  const { page, cspErrors } = await watchedPage();
  await page.goto(`${app.url}/api/requests/new`);
  const counter = page.locator('#reasonDetail-count');
  expect(await counter.isVisible()).toBe(true);
  expect(await counter.getAttribute('aria-live')).toBe('polite');
  expect(await counter.textContent()).toBe('1000 of 1000 characters left');
  await page.locator('[name=reasonDetail]').pressSequentially('Moved');
  expect(await counter.textContent()).toBe('995 of 1000 characters left');
  await page.fill('[name=reasonDetail]', 'x'.repeat(1000));
  expect(await counter.textContent()).toBe('0 of 1000 characters left');
  expect(await axeViolations(page)).toEqual([]);
  expect(cspErrors).toEqual([]);
});

test('in Chromium: a successful submit lands on a page of its own (303), and reload or Back never submits again', async () => {
  const { page, cspErrors, posts } = await watchedPage();
  const stamp = Date.now();
  // An internationalised domain, typed in Unicode, is stored as punycode.
  const currentEmail = `landed.${stamp}@bücher.example`;
  const stored = `landed.${stamp}@xn--bcher-kva.example`;
  await page.goto(`${app.url}/api/requests/new`);
  await page.fill('[name=currentEmail]', currentEmail);
  await page.fill('[name=newEmail]', `landed.${stamp}@northwind.example`);
  await page.selectOption('[name=reason]', 'MovedCompany');
  const [redirect] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[type=submit]')]);
  expect(redirect.status()).toBe(303);
  await page.waitForSelector('h1:text-is("Request received")');
  expect(new URL(page.url()).pathname).toBe('/api/requests/received');
  expect(await page.textContent('body')).toContain('Check the inbox of your new email address');
  expect(await axeViolations(page)).toEqual([]);

  const token = await app.adminToken();
  const recorded = () =>
    app.json<{ items: RequestView[] }>('GET', `/api/admin/requests?email=${encodeURIComponent(stored)}`, undefined, { authorization: `Bearer ${token}` });
  const items = await eventually(async () => {
    const listed = (await recorded()).body.items;
    return listed.length > 0 ? listed : undefined;
  }, 30_000, 'the request to be recorded');
  expect(items.map((i) => i.currentEmail)).toEqual([stored]);

  await page.reload();
  await page.waitForSelector('h1:text-is("Request received")');
  await page.goBack();
  await page.waitForSelector('h1:text-is("Change your sign-in email")');
  await page.goForward();
  await page.waitForSelector('h1:text-is("Request received")');
  expect(posts).toEqual([`${app.url}/api/requests`]);
  expect((await recorded()).body.items).toHaveLength(1);
  expect(cspErrors).toEqual([]);
});

test('in Chromium: over the rate limit, the form comes back as typed with when to try again', async () => {
  const { page } = await watchedPage();
  const currentEmail = `busy.${Date.now()}@fabrikam.example`;
  // The per-address budget (3 here) spent through the API first.
  for (let i = 0; i < 3; i++) expect((await app.json('POST', '/api/requests', { currentEmail, newEmail: `busy${i}.${Date.now()}@northwind.example`, reason: 'MovedCompany' })).status).toBe(202);

  await page.goto(`${app.url}/api/requests/new`);
  await page.fill('[name=currentEmail]', currentEmail);
  await page.fill('[name=newEmail]', 'busy.again@northwind.example');
  await page.selectOption('[name=reason]', 'Other');
  await page.fill('[name=reasonDetail]', 'Typed with care');
  await page.fill('[name=displayName]', 'Busy Bee');
  const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[type=submit]')]);
  expect(response.status()).toBe(429);
  expect(Number(response.headers()['retry-after'])).toBeGreaterThan(0);
  await page.waitForSelector('.summary');

  expect(await page.title()).toMatch(/^Error: /);
  expect(await page.evaluate('document.activeElement.className')).toBe('summary');
  expect(await page.textContent('.summary')).toMatch(/Too many requests\. Try again in \d+ minutes, after \d{4}-\d\d-\d\d \d\d:\d\d UTC\./);
  expect(await page.inputValue('[name=currentEmail]')).toBe(currentEmail);
  expect(await page.inputValue('[name=newEmail]')).toBe('busy.again@northwind.example');
  expect(await page.inputValue('[name=reason]')).toBe('Other');
  expect(await page.inputValue('[name=reasonDetail]')).toBe('Typed with care');
  expect(await page.inputValue('[name=displayName]')).toBe('Busy Bee');
  expect(await axeViolations(page)).toEqual([]);
});

test('in Chromium: the requester follows the request on its tracking page and cancels it; the approver is told', async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'tracker');
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `tracker.${Date.now()}@northwind.example` });
  await waitForStatus(app, id, 'AwaitingApproval');
  const { page, cspErrors } = await watchedPage();
  await openMailedLink(page, 'track', id);
  expect(await page.textContent('dd strong')).toBe('In review');
  expect(await page.textContent('body')).toContain(id);
  expect(await axeViolations(page)).toEqual([]);
  const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button:text-is("Cancel the request")')]);
  expect(response.status()).toBe(202);
  await page.waitForSelector('h1:text-is("Request cancelled")');
  expect(await axeViolations(page)).toEqual([]);
  const done = await waitForStatus(app, id, 'Cancelled');
  expect(done.events.map((e) => e.type)).toContain('CancelRequested');
  await waitForMail(app, (m) => m.to.includes(sponsor.mail) && m.subject.startsWith('Closed:'), 'the approver told it was cancelled');
  await page.goto((await linkFor(app, 'track', id)));
  expect(await page.textContent('dd strong')).toBe('Closed');
  expect(await page.locator('button').count()).toBe(0);
  expect(cspErrors).toEqual([]);
});

test("in Chromium: the owner of the current address says \"this wasn't me\": the request stops, admins and approver are alerted", async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'victim');
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `attacker.${Date.now()}@northwind.example` });
  await waitForStatus(app, id, 'AwaitingApproval');
  const { page, cspErrors } = await watchedPage();
  const link = await openMailedLink(page, 'reports', id);
  expect(await page.textContent('h1')).toBe('Did you ask for this change?');
  const csrf = await page.getAttribute('input[name="csrf"]', 'value');
  expect(await axeViolations(page)).toEqual([]);
  await page.click("button:text-is(\"This wasn't me: stop it\")");
  await page.waitForSelector('h1:text-is("Request stopped")');
  expect(await axeViolations(page)).toEqual([]);
  const done = await waitForStatus(app, id, 'Cancelled');
  expect(done.request).toMatchObject({ reportedByOwner: true, cancelledBy: 'owner' });
  await waitForMail(app, (m) => m.to.includes(ADMINS) && m.subject.startsWith('Stopped:'), 'the admins alerted');
  await waitForMail(app, (m) => m.to.includes(sponsor.mail) && m.subject.startsWith('Closed:'), 'the approver told');
  await waitForMail(app, (m) => m.to.includes(guest.mail) && m.subject === 'The sign-in email change you reported was stopped', 'the owner told');
  expect(cspErrors).toEqual([]);

  // Pressed again (a refresh, a second tab) or opened again: still stopped, nothing asked or alerted twice.
  const again = await fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf: csrf ?? '' }).toString() });
  expect(again.status).toBe(200);
  expect(await again.text()).toContain('<h1>Request stopped</h1>');
  await page.goto(link);
  expect(await page.textContent('h1')).toBe('Request stopped');
  expect(await page.locator('form').count()).toBe(0);
  expect((await app.outbox()).filter((m) => m.to.includes(ADMINS) && m.html.includes(id))).toHaveLength(1);
});

test('in Chromium on a phone: long addresses wrap on the confirmation, approval and report pages, never widening them', async () => {
  const sponsor = await app.addUser({ displayName: 'Sponsor Long', mail: `sponsor.long.${Date.now()}@contoso.com`, userType: 'Member' });
  const guest = await app.addUser({ displayName: 'Alexandra Konstantinopoulou', mail: `alexandra.konstantinopoulou.${Date.now()}@northwindtraders.example`, userType: 'Guest', sponsors: [sponsor.id] });
  const newEmail = `alexandra.konstantinopoulou.${Date.now()}@fabrikamresearch.example`;
  const id = await submit(app, { currentEmail: guest.mail, newEmail }, { confirm: false });
  const context = await browser.newContext({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true });
  try {
    const page = await context.newPage();
    const overflow = () => page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    await page.goto(await linkFor(app, 'confirmations', id));
    expect(await overflow()).toBe(0);
    await page.click('button');
    await page.waitForSelector('h1');
    expect(await overflow()).toBe(0);
    const approval = approvalLink(await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'the approval mail'));
    await page.goto(approval);
    expect(await overflow()).toBe(0);
    await page.goto(await linkFor(app, 'reports', id));
    expect(await page.textContent('h1')).toBe('Did you ask for this change?');
    expect(await overflow()).toBe(0);
  } finally {
    await context.close();
  }
});
