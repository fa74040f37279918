import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium } from '../support/chromium.js';
import { startLocalApp, type LocalApp } from './support/localApp.js';
import { approvalLink, guestWithSponsor, waitForMail, waitForStatus } from './support/flow.js';

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
  expect(await page.locator('button[value=approve]').count()).toBe(0);
  await page.click('a:text-is("Sign in to decide")');
  await page.waitForSelector('h1:text-is("Sign in")');
  await page.check(`input[name=userId][value="${sponsor.id}"]`);
  await page.click('button[type=submit]');
  await page.waitForURL(href!);
  await page.fill('[name=comment]', 'Checked with the team');
  await page.click('button[value=approve]');
  await page.waitForSelector('h1:text-is("Change approved")');

  const requestId = /\/api\/approvals\/([0-9a-f-]{36})\./.exec(href!)![1];
  const done = await waitForStatus(app, requestId, 'Completed');
  expect(done.request.decision?.comment).toBe('Checked with the team');
  await page.screenshot({ path: 'dist/browser-approval.png' });
  expect(cspErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
});
