import { describe, expect, test } from 'vitest';
import type { EmailChangeRequest } from '../../src/domain/request.js';
import * as emails from '../../src/templates/emails.js';
import { escapeHtml } from '../../src/templates/escape.js';
import { paragraph, rows, type MailParts } from '../../src/templates/mailParts.js';
import { renderMail, type MailContext } from '../../src/templates/renderMail.js';

/** The frame every mail shares, checked on every mail the product sends. */

const NOW = new Date('2026-11-30T14:00:00.000Z');
const CONTEXT: MailContext = {
  org: { name: 'Contoso', logoUrl: 'https://cdn.contoso.com/logo.png', support: { label: 'helpdesk@contoso.com', href: 'mailto:helpdesk@contoso.com' } },
  now: NOW,
};

const request: EmailChangeRequest = {
  id: '6f1c2a4e-9a53-4a8e-9c0e-2a1f6b3d4e5f',
  status: 'Failed',
  currentEmail: 'ada@fabrikam.com',
  newEmail: 'ada@northwind.com',
  reason: 'AccountRecreated',
  reasonDetail: 'Old account deleted',
  guestDisplayName: 'Ada Lovelace',
  guestId: 'guest-1',
  source: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (iPhone)' },
  submittedAt: '2026-11-30T12:00:00.000Z',
  updatedAt: '2026-11-30T12:00:05.000Z',
  deadline: '2026-12-03T14:00:00.000Z',
  approvers: [{ id: 'sp-1', displayName: 'Grace Hopper', mail: 'grace@contoso.com' }],
  previousMail: 'ada@fabrikam.com',
  result: { code: 'Forbidden', message: 'No.' },
};
const approvalUrl = 'https://app.example/api/approvals/abc?x=1&y=2';
const inviteRedeemUrl = 'https://login.microsoftonline.com/redeem?rd=abc';
const reportUrl = 'https://app.example/api/reports/abc';
const trackUrl = 'https://app.example/api/track/abc';

/** One sample of every mail in emails.ts; a mail added there without a sample fails the first test. */
const EVERY_MAIL: Record<string, MailParts> = {
  approvalRequestEmail: emails.approvalRequestEmail({ request, approver: request.approvers[0], approvalUrl, reminder: false }),
  changeRequestedNoticeEmail: emails.changeRequestedNoticeEmail({ request, reportUrl, reportExpiresAt: request.deadline!, adminsAlerted: true }),
  redeemInvitationEmail: emails.redeemInvitationEmail({ request, inviteRedeemUrl }),
  requestCompletedEmail: emails.requestCompletedEmail({ request }),
  requestOutcomeEmail: emails.requestOutcomeEmail({ request }),
  resetFailedAdminEmail: emails.resetFailedAdminEmail({ request }),
  mailRestoreFailedAdminEmail: emails.mailRestoreFailedAdminEmail({ request, retryUntil: '2026-12-01T12:00:00.000Z' }),
  mailRestoredAdminEmail: emails.mailRestoredAdminEmail({ request }),
  noApproverAdminEmail: emails.noApproverAdminEmail({ request, skipped: [] }),
  anotherAttemptApproverEmail: emails.anotherAttemptApproverEmail({ active: request, attempt: request }),
  anotherAttemptGuestEmail: emails.anotherAttemptGuestEmail({ active: request, attempt: request }),
  newAddressConfirmationEmail: emails.newAddressConfirmationEmail({ request, confirmUrl: 'https://app.example/api/confirmations/abc', trackUrl, expiresAt: request.deadline! }),
  requestReceivedEmail: emails.requestReceivedEmail({ request, trackUrl, trackExpiresAt: request.deadline! }),
  requestEndedApproverEmail: emails.requestEndedApproverEmail({ request: { ...request, status: 'Cancelled', cancelledBy: 'requester' }, approver: request.approvers[0] }),
  changeMadeOwnerEmail: emails.changeMadeOwnerEmail({ request, reportUrl, reportExpiresAt: request.deadline! }),
  reportedRequestStoppedOwnerEmail: emails.reportedRequestStoppedOwnerEmail({ request, adminsAlerted: true }),
  ownerReportAdminEmail: emails.ownerReportAdminEmail({ request, reportedAt: '2026-11-30T13:00:00.000Z', stopped: false }),
  adminDigestEmail: emails.adminDigestEmail({
    entries: [
      { requestId: request.id, alert: 'admin-failure', at: '2026-11-29T10:00:00.000Z', subject: 'Guest sign-in email change failed: Forbidden', guest: 'Ada Lovelace', currentEmail: request.currentEmail, newEmail: request.newEmail, mailedAtOnce: false },
    ],
    from: '2026-11-29T08:00:00.000Z',
    until: '2026-11-30T08:00:00.000Z',
  }),
};

test('every mail of emails.ts is checked here', () => {
  const mailFunctions = Object.entries(emails)
    .filter(([, value]) => typeof value === 'function')
    .map(([name]) => name);
  expect(Object.keys(EVERY_MAIL).sort()).toEqual(mailFunctions.sort());
});

const hrefs = (html: string): string[] => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
const SUPPORT_HREF = 'mailto:helpdesk@contoso.com';

describe.each(Object.entries(EVERY_MAIL))('%s', (_, parts) => {
  const mail = renderMail(parts, CONTEXT);

  test('responsive HTML: viewport, at most 600px and fluid, inline styles only, Outlook width', () => {
    expect(mail.html).toMatch(/^<!doctype html>/);
    expect(mail.html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(mail.html).toContain('style="width:100%;max-width:600px;');
    expect(mail.html).toContain('<!--[if mso]><table role="presentation" width="600"');
    expect(mail.html).not.toMatch(/<style|<link|class=|<script/i);
  });

  test('the organisation in the header of both parts, with its logo, and its support contact', () => {
    expect(mail.html).toContain('<img src="https://cdn.contoso.com/logo.png"');
    expect(mail.html).toMatch(/\nContoso\n<\/td><\/tr>/);
    expect(mail.text.startsWith('Contoso\n\n')).toBe(true);
    expect(hrefs(mail.html)).toContain(SUPPORT_HREF);
    expect(mail.text).toContain('Questions? Contact helpdesk@contoso.com.');
  });

  test('says why the reader got it and that it was sent automatically, in both parts', () => {
    const why = `You received this email from Contoso because ${parts.why}.`;
    expect(parts.why).toMatch(/^[a-z]/);
    expect(mail.html).toContain(why.replace(/'/g, '&#39;'));
    expect(mail.text).toContain(why);
    expect(mail.text).toContain('Sent automatically by the Guest sign-in email change service of Contoso. Replies are not read.');
  });

  test('the heading opens both parts', () => {
    expect(mail.html).toMatch(/<h1 [^>]*>[^<]+<\/h1>/);
    expect(mail.text).toContain(`\n\n${parts.heading}\n===`);
  });

  test('its one action is a real button, with the URL written out and when it stops working; the text part has the same links', () => {
    const actionLinks = hrefs(mail.html).filter((href) => href !== SUPPORT_HREF);
    if (!parts.action) {
      expect(actionLinks).toEqual([]);
      expect(mail.text).not.toMatch(/https?:\/\//);
      return;
    }
    const { url, label } = parts.action;
    // The button's URL, and any secondary link in the text, which the text part writes out too.
    expect(actionLinks.filter((href) => href === url)).toHaveLength(1);
    for (const href of actionLinks) expect(mail.text).toContain(href);
    expect(mail.html).toMatch(/<td align="center" bgcolor="#0b5cad"[^>]*>\s*<a href="[^"]+" target="_blank" style="display:inline-block;padding:/);
    expect(mail.html).toContain(`>${escapeHtml(label)}</a>`);
    expect(mail.html).toContain(`<span style="word-break:break-all;color:#1b1b1b;">${url.replace(/&/g, '&amp;')}</span>`);
    expect(mail.text).toContain(`${label}:\n${url}\n`);
    const expiry = parts.action.expiresAt === null ? 'This link does not expire.' : 'This link stops working in 3 days, on Thursday 3 December 2026 14:00 UTC.';
    expect(mail.html).toContain(expiry);
    expect(mail.text).toContain(expiry);
  });

  test('every time is given in UTC and in words from the send time, in both parts', () => {
    for (const part of [mail.text, mail.html]) {
      const times = [...part.matchAll(/(in [^,<]+, on )?(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d{1,2} [A-Z][a-z]+ \d{4} \d{2}:\d{2} UTC( \((?:in [^)]+|[^)]+ ago)\))?/g)];
      expect(times.length).toBe(part.split('UTC').length - 1);
      for (const time of times) expect(time[1] ?? time[2]).toBeDefined();
      expect(part).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    }
  });
});

describe('the frame around any content', () => {
  const parts: MailParts = {
    subject: 'Line\r\nBcc: x@evil.example',
    heading: 'Hello <b>',
    why: 'you asked',
    body: [paragraph`Value ${'<script>'}`, rows(['Label & co', 'two\nlines'])],
    action: { label: 'Go', url: 'https://app.example/x?a=1&b="2"', expiresAt: '2026-11-30T14:30:00.000Z' },
  };

  test('escapes every value, the organisation too', () => {
    const mail = renderMail(parts, { org: { name: 'A&B <Corp>' }, now: NOW });
    expect(mail.html).not.toMatch(/<script>|<b>|<Corp>/);
    expect(mail.html).toContain('A&amp;B &lt;Corp&gt;');
    expect(mail.html).toContain('href="https://app.example/x?a=1&amp;b=&quot;2&quot;"');
    expect(mail.text).toContain('A&B <Corp>');
  });

  test('the subject is one line', () => {
    expect(renderMail(parts, CONTEXT).subject).toBe('Line Bcc: x@evil.example');
  });

  test('without a logo or a support contact, neither is shown', () => {
    const mail = renderMail(parts, { org: { name: 'Contoso' }, now: NOW });
    expect(mail.html).not.toContain('<img');
    expect(mail.html + mail.text).not.toContain('Questions?');
  });

  test('a row keeps its line breaks, indented in the text part; the preheader defaults to the heading', () => {
    const mail = renderMail(parts, CONTEXT);
    expect(mail.html).toContain('two<br>lines');
    expect(mail.text).toContain('Label & co: two\n    lines');
    expect(mail.html).toMatch(/<div style="display:none;[^"]*">Hello &lt;b&gt;<\/div>/);
    expect(mail.text).toContain('This link stops working in 30 minutes, on Monday 30 November 2026 14:30 UTC.');
  });
});

test('the approval mail of a real request reads as one text a person can follow', () => {
  const mail = renderMail(EVERY_MAIL.approvalRequestEmail, CONTEXT);
  expect(mail.text).toContain('Decide by: Thursday 3 December 2026 14:00 UTC (in 3 days)\n');
  expect(mail.text).toContain('Requested: Monday 30 November 2026 12:00 UTC (2 hours ago)\n');
  expect(mail.text).toContain(`Review the request:\n${approvalUrl}\nThis link stops working in 3 days`);
});
