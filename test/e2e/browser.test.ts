import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { axeViolations } from '../support/axe.js';
import { launchChromium } from '../support/chromium.js';
import { eventually, startLocalApp, type LocalApp } from './support/localApp.js';
import { approvalLink, guestWithSponsor, waitForMail, waitForStatus, type RequestView } from './support/flow.js';

let app: LocalApp;
let browser: Browser;
beforeAll(async () => {
  // Every page here comes from one source address; only the per-address limit is under test, in
  // one window for the whole file (an hour boundary must not reset the count).
  app = await startLocalApp({ env: { RATE_LIMIT_PER_SOURCE: '1000', RATE_LIMIT_PER_TARGET: '3', RATE_LIMIT_WINDOW: 'P3650D' } });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

test('in Chromium: submit the form, open the outbox, follow the approval link, approve, see Completed', async () => {
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

  const requestId = /\/api\/approvals\/([0-9a-f-]{36})\./.exec(href!)![1];
  const done = await waitForStatus(app, requestId, 'Completed');
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
    ['#currentEmail', 'input', 'Enter a valid email address, like name@example.com.'],
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
