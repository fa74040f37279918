import { describe, expect, test } from 'vitest';
import type { Approver, EmailChangeRequest, RequestStatus } from '../../src/domain/request.js';
import {
  changeMadeOwnerEmail,
  newAddressConfirmationEmail,
  requestEndedApproverEmail,
  approvalRequestEmail,
  changeRequestedNoticeEmail,
  redeemInvitationEmail,
  requestCompletedEmail,
  requestOutcomeEmail,
  noApproverAdminEmail,
  resetFailedAdminEmail,
  mailRestoredAdminEmail,
  mailRestoreFailedAdminEmail,
  anotherAttemptApproverEmail,
  anotherAttemptGuestEmail,
  requestReceivedEmail,
  reportedRequestStoppedOwnerEmail,
  ownerReportAdminEmail,
  adminDigestEmail,
  REQUESTER_TEXT_LABEL,
} from '../../src/templates/emails.js';
import { REASON_LABELS } from '../../src/templates/format.js';
import type { MailParts } from '../../src/templates/mailParts.js';
import { renderMail, type RenderedMail } from '../../src/templates/renderMail.js';
import { aRequest } from '../support/emailChangeRequest.js';

/** The content of each mail; the frame every mail shares is tested in templates.renderMail.test.ts. */
const render = (parts: MailParts): RenderedMail => renderMail(parts, { org: { name: 'Contoso' }, now: new Date('2024-05-01T12:00:00.000Z') });

const request = (overrides: Partial<EmailChangeRequest> = {}): EmailChangeRequest => aRequest({ reason: 'AccountRecreated', reasonDetail: 'Old account deleted\nby my IT', ...overrides });
const approver: Approver = { id: 'sp-1', displayName: 'Grace Hopper', mail: 'grace@contoso.com' };
const approvalUrl = 'https://app.example/api/approvals/6f1c2a4e-9a53-4a8e-9c0e-2a1f6b3d4e5f.abc?x=1&y=2';
const REPORT_URL = 'https://app.example/api/reports/6f1c2a4e-9a53-4a8e-9c0e-2a1f6b3d4e5f.abc';

const hrefs = (email: RenderedMail): string[] => [...email.html.matchAll(/<a href="([^"]*)"/g)].map((m) => m[1]);

describe('approvalRequestEmail', () => {
  const mail = render(approvalRequestEmail({ request: request(), approver, approvalUrl, reminder: false }));

  test('names the guest in the subject and carries every detail', () => {
    expect(mail.subject).toBe('Approval needed: sign-in email change for Ada Lovelace');
    for (const text of ['Grace Hopper', 'Ada Lovelace', 'ada@fabrikam.com', 'ada@northwind.com', REASON_LABELS.AccountRecreated, 'Old account deleted<br>by my IT', 'Wednesday 1 May 2024 10:00 UTC (2 hours ago)', 'Wednesday 8 May 2024 10:00 UTC (in 7 days)', '203.0.113.7']) {
      expect(mail.html).toContain(text);
    }
  });

  test('the approval link is a plain anchor whose href decodes to the URL, written out in both parts', () => {
    expect(hrefs(mail)).toEqual([approvalUrl.replace('&', '&amp;')]);
    expect(mail.text).toContain(`Review the request:\n${approvalUrl}\n`);
  });

  test('the link stops working at the deadline, said in UTC and in words', () => {
    expect(mail.html).toContain('This link stops working in 7 days, on Wednesday 8 May 2024 10:00 UTC.');
    expect(mail.text).toContain('This link stops working in 7 days, on Wednesday 8 May 2024 10:00 UTC.');
  });

  test('the reminder says so in subject and body, with the same details', () => {
    const reminder = render(approvalRequestEmail({ request: request(), approver, approvalUrl, reminder: true }));
    expect(reminder.subject).toMatch(/^Reminder: /);
    expect(reminder.html).toContain('<strong>Reminder:</strong>');
    expect(reminder.html).toContain('ada@northwind.com');
    expect(hrefs(reminder)).toEqual(hrefs(mail));
  });
});

test('changeRequestedNoticeEmail tells the current address, and who to contact; its one link is "this wasn\'t me"', () => {
  const mail = render(changeRequestedNoticeEmail({ request: request(), reportUrl: REPORT_URL, reportExpiresAt: '2024-06-01T10:00:00.000Z', adminsAlerted: true }));
  expect(mail.subject).toBe('A change to your sign-in email was requested');
  expect(mail.html).toContain('ada@northwind.com');
  expect(mail.html).toMatch(/If this was not you/);
  expect(mail.html).toMatch(/sponsor/);
  expect(mail.html).toContain('This wasn&#39;t me');
  expect(hrefs(mail).filter((href) => !href.startsWith('mailto:'))).toEqual([REPORT_URL]);
});

test('with no admin addresses (ADMIN_NOTIFICATION_EMAILS empty), the owner\'s mails promise no alert, only a recorded report', () => {
  const notice = render(changeRequestedNoticeEmail({ request: request(), reportUrl: REPORT_URL, reportExpiresAt: '2024-06-01T10:00:00.000Z', adminsAlerted: false }));
  const stopped = render(reportedRequestStoppedOwnerEmail({ request: request(), adminsAlerted: false }));
  for (const mail of [notice, stopped]) {
    expect(mail.text).not.toMatch(/alerted/);
    expect(mail.text).toMatch(/recorded for the administrators/);
  }
  expect(render(reportedRequestStoppedOwnerEmail({ request: request(), adminsAlerted: true })).text).toMatch(/the administrators were alerted/);
});

test('redeemInvitationEmail links the redeem URL for the new address', () => {
  const mail = render(redeemInvitationEmail({ request: request(), inviteRedeemUrl: 'https://login.microsoftonline.com/redeem?rd=abc' }));
  expect(hrefs(mail)).toEqual(['https://login.microsoftonline.com/redeem?rd=abc']);
  expect(mail.html).toContain('sign in with ada@northwind.com');
  expect(mail.text).toContain('This link does not expire.');
});

test('requestCompletedEmail tells the approver it is done', () => {
  const mail = render(requestCompletedEmail({ request: request({ status: 'Completed' }) }));
  expect(mail.subject).toBe('Done: sign-in email changed for Ada Lovelace');
  expect(mail.html).toContain('ada@northwind.com');
});

describe('requestOutcomeEmail', () => {
  test.each([
    ['Rejected', 'was not approved.'],
    ['Expired', 'was not approved in time.'],
    ['Cancelled', 'was cancelled.'],
    ['Failed', 'could not be completed.'],
  ] as [RequestStatus, string][])('%s: neutral wording, no approver details', (status, sentence) => {
    const mail = render(requestOutcomeEmail({
      request: request({ status, decision: { outcome: 'rejected', by: 'grace@contoso.com', at: '2024-05-02T00:00:00Z', comment: 'Looks fishy' } }),
    }));
    expect(mail.subject).toBe('Your sign-in email change request was closed');
    expect(mail.html).toContain(sentence);
    expect(mail.html).not.toMatch(/grace|Looks fishy/);
  });
});

test('resetFailedAdminEmail gives Graph code, message and request-id', () => {
  const mail = render(resetFailedAdminEmail({
    request: request({ status: 'Failed', result: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.', requestId: 'r-123' } }),
  }));
  expect(mail.subject).toBe('Guest sign-in email change failed: Authorization_RequestDenied');
  for (const text of ['Authorization_RequestDenied', 'Insufficient privileges to complete the operation.', 'r-123', 'guest-1', '6f1c2a4e-9a53-4a8e-9c0e-2a1f6b3d4e5f']) {
    expect(mail.html).toContain(text);
  }
});

test('a request that failed before any decision says so, and that nothing changed, not that an approved change failed', () => {
  const mail = render(resetFailedAdminEmail({ request: request({ status: 'Failed', result: { code: 'InternalError', message: 'Internal error (reference r).' } }) }));
  expect(mail.html).toContain('A sign-in email change request failed before any decision');
  expect(mail.html).toContain('nothing was changed in the directory');
  expect(mail.html).not.toContain('approved sign-in email change failed');
});

test('a failure Graph kept answering with a passing fault says the reset may be retried; a permanent one does not', () => {
  const permanent = request({ status: 'Failed', result: { code: 'Request_BadRequest', message: 'No.', requestId: 'r-1' } });
  const transient = request({ status: 'Failed', result: { code: 'ServiceUnavailable', message: 'Try later.', requestId: 'r-2', transient: true } });
  expect(render(resetFailedAdminEmail({ request: permanent })).html).not.toContain('retry the reset');
  const mail = render(resetFailedAdminEmail({ request: transient }));
  expect(mail.subject).toBe('Guest sign-in email change failed: ServiceUnavailable');
  expect(mail.html).toContain('temporary fault until the retries ran out');
  expect(mail.html).toContain('retry the reset');
  expect(mail.html).toContain('r-2');
});

test('the failure mail says what became of the guest’s mail: untouched, put back, or not put back yet', () => {
  const failed = request({
    status: 'Failed',
    previousMail: 'ada@fabrikam.com',
    decision: { outcome: 'approved', by: 'sponsor@contoso.com', at: '2024-05-01T10:00:00.000Z' },
    result: { code: 'BadRequest', message: 'No.' },
  });
  expect(render(resetFailedAdminEmail({ request: failed })).html).toContain('directory mail was not changed');
  const done = render(resetFailedAdminEmail({ request: { ...failed, mailRestore: 'done' } })).html;
  expect(done).toContain('it was put back to ada@fabrikam.com');
  const pending = render(resetFailedAdminEmail({ request: { ...failed, mailRestore: 'pending' } })).html;
  expect(pending).toContain('could not be put back yet: it still reads ada@northwind.com');
  expect(pending).not.toMatch(/was put back|is restored/);
});

test('the restore alert and the all-clear name the guest, both addresses and what Graph said', () => {
  const pending = request({ status: 'Failed', previousMail: 'ada@fabrikam.com', mailRestore: 'pending' });
  const alert = render(mailRestoreFailedAdminEmail({ request: pending, failure: { code: 'ServiceUnavailable', message: 'Try later', requestId: 'r-9' }, retryUntil: '2024-05-02T10:00:00.000Z' }));
  expect(alert.subject).toBe('Action may be needed: Ada Lovelace’s mail still points at ada@northwind.com'.replace('’', "'"));
  for (const text of ['ServiceUnavailable', 'Try later', 'r-9', 'guest-1', 'ada@fabrikam.com', 'do not reset this guest']) expect(alert.html).toContain(text);
  const resolved = render(mailRestoredAdminEmail({ request: { ...pending, mailRestore: 'done' } }));
  expect(resolved.subject).toBe("Resolved: Ada Lovelace's mail is back to ada@fabrikam.com");
});

test('subjects are one line even when directory names hold line breaks', () => {
  const mail = render(approvalRequestEmail({ request: request({ guestDisplayName: 'Ada\r\nBcc: x@evil.com' }), approver, approvalUrl, reminder: false }));
  expect(mail.subject).toBe('Approval needed: sign-in email change for Ada Bcc: x@evil.com');
});

describe('requester text sits in a labelled, unverified block', () => {
  const NAME = 'Ada from IT Security';
  const DETAIL = 'Approved by the CIO already.\nCall +1 555 0100 to confirm';
  const typed = request({ displayName: NAME, reasonDetail: DETAIL });
  /** The set-apart boxes of the HTML part: tables holding tables, so found by counting depth. */
  const blocksOf = (html: string): string[] => {
    const found: string[] = [];
    const marker = 'border:1px solid #b26a00';
    for (let from = html.indexOf(marker); from >= 0; from = html.indexOf(marker, from + 1)) {
      const start = html.lastIndexOf('<table', from);
      let depth = 0;
      let at = start;
      for (;;) {
        const open = html.indexOf('<table', at + 1);
        const close = html.indexOf('</table>', at + 1);
        if (open >= 0 && open < close) {
          depth++;
          at = open;
        } else if (depth > 0) {
          depth--;
          at = close;
        } else {
          found.push(html.slice(start, close + '</table>'.length));
          break;
        }
      }
    }
    return found;
  };
  const withoutBlocks = (html: string) => blocksOf(html).reduce((rest, block) => rest.replace(block, ''), html);
  /** In the text part the requester's words are quoted lines (`| ...`). */
  const unquoted = (text: string) => text.split('\n').filter((line) => !line.startsWith('|')).join('\n');
  const requesterText = (html: string) => /Ada from IT Security|Approved by the CIO|555 0100/.test(html);

  const every: [string, RenderedMail][] = [
    ['approval request', render(approvalRequestEmail({ request: typed, approver, approvalUrl, reminder: false }))],
    ['reminder', render(approvalRequestEmail({ request: typed, approver, approvalUrl, reminder: true }))],
    ['change-requested notice', render(changeRequestedNoticeEmail({ request: typed, reportUrl: REPORT_URL, reportExpiresAt: '2024-06-01T10:00:00.000Z', adminsAlerted: true }))],
    ['redeem invitation', render(redeemInvitationEmail({ request: typed, inviteRedeemUrl: 'https://login.example/redeem' }))],
    ['completed', render(requestCompletedEmail({ request: typed }))],
    ['outcome', render(requestOutcomeEmail({ request: { ...typed, status: 'Rejected' } }))],
    ['reset failed', render(resetFailedAdminEmail({ request: { ...typed, status: 'Failed', result: { code: 'Forbidden', message: 'No.' } } }))],
    ['no approver', render(noApproverAdminEmail({ request: typed, skipped: [] }))],
    // Before screening there is no directory name: the typed one must not stand in for it.
    ['reset failed before screening', render(resetFailedAdminEmail({ request: { ...typed, guestDisplayName: undefined, status: 'Failed' } }))],
  ];

  test.each(every)('%s: requester text appears only inside the labelled block', (_, mail) => {
    expect(requesterText(withoutBlocks(mail.html))).toBe(false);
    expect(requesterText(unquoted(mail.text))).toBe(false);
    expect(requesterText(mail.subject)).toBe(false);
  });

  test.each(every.slice(0, 2))('%s shows the name and the details, labelled as the requester\'s and unverified', (_, mail) => {
    const blocks = blocksOf(mail.html);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toContain(`<strong>${REQUESTER_TEXT_LABEL}.</strong>`);
    expect(blocks[0]).toMatch(new RegExp(`>Name given by the requester</th><td[^>]*>${NAME}</td>`));
    expect(blocks[0]).toContain('Approved by the CIO already.<br>Call +1 555 0100 to confirm');
    expect(mail.text).toContain(`| ${REQUESTER_TEXT_LABEL}.`);
    expect(mail.text).toContain('| Details from the requester: Approved by the CIO already.\n|     Call +1 555 0100 to confirm');
  });

  test('no block when the requester typed nothing, or only the directory\'s own name', () => {
    const quiet = render(approvalRequestEmail({ request: request({ displayName: 'Ada Lovelace', reasonDetail: undefined }), approver, approvalUrl, reminder: false }));
    expect(quiet.html).not.toContain(REQUESTER_TEXT_LABEL);
  });

  test('escaping still applies inside the block', () => {
    const mail = render(approvalRequestEmail({ request: request({ reasonDetail: '<a href="https://evil.example">Approve here</a>' }), approver, approvalUrl, reminder: false }));
    expect(mail.html).toContain('&lt;a href=&quot;https://evil.example&quot;&gt;');
    expect(hrefs(mail)).toEqual([approvalUrl.replace('&', '&amp;')]);
  });
});

describe('the requesting device in mails', () => {
  const WINDOWS_CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

  test.each([false, true])('reminder %s: browser and system in words, plus the address, never the raw User-Agent', (reminder) => {
    const mail = render(approvalRequestEmail({ request: request({ source: { ip: '203.0.113.7', userAgent: WINDOWS_CHROME } }), approver, approvalUrl, reminder }));
    expect(mail.html).toMatch(/>Requested from<\/th><td[^>]*>Chrome 120 on Windows, IP address 203\.0\.113\.7<\/td>/);
    expect(mail.text).toContain('Requested from: Chrome 120 on Windows, IP address 203.0.113.7\n');
    expect(mail.html + mail.text).not.toContain('Mozilla/5.0');
  });

  test('a made-up User-Agent is not echoed', () => {
    const mail = render(approvalRequestEmail({ request: request({ source: { ip: '203.0.113.7', userAgent: 'Verified by Contoso IT/1 (call 555 0100)' } }), approver, approvalUrl, reminder: false }));
    expect(mail.html).toContain('Unknown browser and system, IP address 203.0.113.7');
    expect(mail.html).not.toMatch(/Verified by Contoso|555 0100/);
  });
});

describe('HTML injection in emails', () => {
  const payloads = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>'];

  test.each(payloads)('every value is escaped in every email: %s', (payload) => {
    const hostile = request({
      displayName: payload,
      reasonDetail: `${payload}\n${payload}`,
      guestDisplayName: payload,
      guestId: payload,
      currentEmail: `${payload}@old`,
      newEmail: `${payload}@new`,
      reason: payload as EmailChangeRequest['reason'],
      source: { ip: payload, userAgent: payload },
      submittedAt: payload,
      deadline: payload,
      decision: { outcome: 'approved', by: payload, at: payload, comment: payload },
      result: { code: payload, message: payload, requestId: payload },
      status: 'Rejected',
    });
    const hostileApprover: Approver = { id: payload, displayName: payload, mail: payload };
    const mails = [
      render(approvalRequestEmail({ request: hostile, approver: hostileApprover, approvalUrl: payload, reminder: false })),
      render(approvalRequestEmail({ request: hostile, approver: hostileApprover, approvalUrl: payload, reminder: true })),
      render(changeRequestedNoticeEmail({ request: hostile, reportUrl: REPORT_URL, reportExpiresAt: '2024-06-01T10:00:00.000Z', adminsAlerted: true })),
      render(redeemInvitationEmail({ request: hostile, inviteRedeemUrl: payload })),
      render(requestCompletedEmail({ request: hostile })),
      render(requestOutcomeEmail({ request: hostile })),
      render(resetFailedAdminEmail({ request: hostile })),
    ];
    for (const mail of mails) {
      expect(mail.html).not.toContain(payload);
      expect(mail.html).not.toMatch(/<script|<img|onerror=alert\(1\)>/i);
    }
    expect(mails.every((m) => /&lt;(script|img)/.test(m.html))).toBe(true);
  });
});

describe('every approver hears how a request ended', () => {
  const other: Approver = { id: 'sp-2', displayName: 'Alan Turing', mail: 'alan@contoso.com' };
  const decided = request({ status: 'Rejected', approvers: [approver, other], decision: { outcome: 'rejected', by: approver.mail, at: '2024-05-01T11:00:00.000Z' } });

  test('the other approver is told who decided and when, and that their link no longer works', () => {
    const mail = render(requestEndedApproverEmail({ request: decided, approver: other }));
    expect(mail.subject).toBe('Closed: sign-in email change for Ada Lovelace');
    expect(mail.text).toContain('was rejected by grace@contoso.com on');
    expect(mail.text).toContain('no longer works');
  });

  test('the approver who decided reads "by you"', () => {
    expect(render(requestEndedApproverEmail({ request: decided, approver })).text).toContain('was rejected by you on');
  });

  test.each([
    ['requester', 'cancelled by the requester'],
    ['owner', 'stopped by the owner of the current address'],
    ['admin', 'cancelled by an administrator'],
  ] as const)('a cancel by the %s says so', (cancelledBy, words) => {
    const cancelled = request({ status: 'Cancelled', cancelledBy, cancelReason: 'Guest phoned' });
    const mail = render(requestEndedApproverEmail({ request: cancelled, approver }));
    expect(mail.text).toContain(words);
    // Only an admin's reason is shown: the others' is the product's own wording.
    expect(mail.text.includes('Guest phoned')).toBe(cancelledBy === 'admin');
  });

  test('the old address hears the change was made, with a "this wasn\'t me" button', () => {
    const mail = render(changeMadeOwnerEmail({ request: request({ status: 'Completed' }), reportUrl: REPORT_URL, reportExpiresAt: '2024-06-01T10:00:00.000Z' }));
    expect(mail.subject).toBe('Your sign-in email was changed');
    expect(hrefs(mail)).toContain(REPORT_URL);
    expect(mail.text).toContain(REPORT_URL);
    expect(mail.text).toMatch(/approved the request made on \w+day /);
  });

  test('the new address gets the confirmation button and the tracking link, and when the link expires', () => {
    const mail = render(newAddressConfirmationEmail({ request: request(), confirmUrl: 'https://app.example/api/confirmations/x', trackUrl: 'https://app.example/api/track/y', expiresAt: '2024-05-02T12:00:00.000Z' }));
    expect(hrefs(mail)).toContain('https://app.example/api/confirmations/x');
    expect(mail.text).toContain('https://app.example/api/track/y');
    expect(mail.text).toContain('in 24 hours, on Thursday 2 May 2024 12:00 UTC');
  });
});

describe('addresses on internationalised domains', () => {
  const OLD = 'ada@xn--bcher-kva.example';
  const NEW = 'ada@xn--80ak6aa92e.com';
  const SHOWN_OLD = 'ada@bücher.example (ada@xn--bcher-kva.example)';
  // Cyrillic letters that look like "apple": the punycode beside them gives the look-alike away.
  const SHOWN_NEW = 'ada@аррӏе.com (ada@xn--80ak6aa92e.com)';
  const idn = request({ currentEmail: OLD, newEmail: NEW, guestDisplayName: undefined, previousMail: OLD, status: 'Failed', mailRestore: 'pending', result: { code: 'Forbidden', message: 'No.' } });
  const urls = { reportUrl: REPORT_URL, reportExpiresAt: '2024-06-01T10:00:00.000Z' };
  const every: [string, RenderedMail][] = [
    ['approval request', render(approvalRequestEmail({ request: idn, approver, approvalUrl, reminder: false }))],
    ['change-requested notice', render(changeRequestedNoticeEmail({ request: idn, ...urls, adminsAlerted: true }))],
    ['redeem invitation', render(redeemInvitationEmail({ request: idn, inviteRedeemUrl: 'https://login.example/redeem' }))],
    ['completed', render(requestCompletedEmail({ request: idn }))],
    ['outcome', render(requestOutcomeEmail({ request: idn }))],
    ['reset failed', render(resetFailedAdminEmail({ request: idn }))],
    ['mail restore failed', render(mailRestoreFailedAdminEmail({ request: idn, retryUntil: '2024-05-02T12:00:00.000Z' }))],
    ['mail restored', render(mailRestoredAdminEmail({ request: idn }))],
    ['no approver', render(noApproverAdminEmail({ request: idn, skipped: [] }))],
    ['another attempt, approver', render(anotherAttemptApproverEmail({ active: idn, attempt: idn }))],
    ['another attempt, guest', render(anotherAttemptGuestEmail({ active: idn, attempt: idn }))],
    ['new address confirmation', render(newAddressConfirmationEmail({ request: idn, confirmUrl: 'https://app.example/c', trackUrl: 'https://app.example/t', expiresAt: '2024-05-02T12:00:00.000Z' }))],
    ['request received', render(requestReceivedEmail({ request: idn, trackUrl: 'https://app.example/t', trackExpiresAt: '2024-05-02T12:00:00.000Z' }))],
    ['ended, to an approver', render(requestEndedApproverEmail({ request: idn, approver }))],
    ['change made, to the owner', render(changeMadeOwnerEmail({ request: idn, ...urls }))],
    ['reported and stopped, to the owner', render(reportedRequestStoppedOwnerEmail({ request: idn, adminsAlerted: true }))],
    ['owner report, to the admins', render(ownerReportAdminEmail({ request: idn, reportedAt: '2024-05-01T11:00:00.000Z', stopped: false }))],
    [
      'admin digest',
      render(adminDigestEmail({ entries: [{ requestId: idn.id, alert: 'admin-failure', at: '2024-05-01T11:00:00.000Z', subject: 'Failed', guest: 'Ada', currentEmail: OLD, newEmail: NEW, mailedAtOnce: false }], until: '2024-05-01T12:00:00.000Z' })),
    ],
  ];

  test.each(every)('%s shows each address in Unicode with its punycode beside it, never the punycode alone', (_, mail) => {
    for (const part of [mail.subject, mail.html, mail.text]) {
      expect(part.replaceAll(SHOWN_OLD, '').replaceAll(SHOWN_NEW, '')).not.toContain('xn--');
    }
    expect(mail.html).toContain(SHOWN_NEW);
    expect(mail.text).toContain(SHOWN_NEW);
  });

  test('the Unicode form is escaped like any value', () => {
    const mail = render(changeRequestedNoticeEmail({ request: request({ currentEmail: "o'hara&co@xn--bcher-kva.example" }), ...urls, adminsAlerted: true }));
    expect(mail.html).toContain('o&#39;hara&amp;co@bücher.example (o&#39;hara&amp;co@xn--bcher-kva.example)');
    expect(mail.html).not.toContain("o'hara&co");
    expect(mail.text).toContain("o'hara&co@bücher.example (o'hara&co@xn--bcher-kva.example)");
  });
});
