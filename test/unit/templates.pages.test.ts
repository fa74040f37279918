import { describe, expect, test } from 'vitest';
import { escapeHtml } from '../../src/templates/escape.js';
import type { Approver, EmailChangeRequest } from '../../src/domain/request.js';
import {
  approvalPage,
  approverSignInPage,
  decisionResultPage,
  maskEmail,
  messagePage,
  REASON_LABELS,
  requestFormPage,
  requestReceivedPage,
} from '../../src/templates/pages.js';
import { CHARACTER_COUNT_SCRIPT } from '../../src/templates/characterCount.js';
import { confirmationPage, confirmedPage, reportPage, requestCancelledPage, trackPage } from '../../src/templates/requesterPages.js';
import { aRequest as request } from '../support/emailChangeRequest.js';
import { REQUESTER_TEXT_LABEL } from '../../src/templates/emails.js';

const approver: Approver = { id: 'sp-1', displayName: 'Grace Hopper', mail: 'grace@contoso.com' };
const mayDecide = (action: string, csrf: string) => ({ state: 'mayDecide', action, csrf }) as const;

/** The text of the element with this id (first match), for checking what is next to a field. */
const elementText = (page: string, id: string): string | undefined => new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(page)?.[1];

describe('requestFormPage', () => {
  test('has every field, the reason labels and posts to the action without JavaScript', () => {
    const page = requestFormPage({ action: '/api/requests' });
    expect(page).toContain('<form method="post" action="/api/requests"');
    for (const name of ['currentEmail', 'newEmail', 'reason', 'reasonDetail', 'displayName']) {
      expect(page).toMatch(new RegExp(`<label for="${name}">`));
      expect(page).toMatch(new RegExp(`name="${name}"`));
    }
    for (const [value, label] of Object.entries(REASON_LABELS)) expect(page).toContain(`<option value="${value}">${label}</option>`);
    expect(page).not.toMatch(/aria-invalid="true"|role="alert"|autofocus/);
    expect(page).toContain('<title>Change your sign-in email · ');
  });

  test('states the detail limit in its hint, and adds a hidden live counter that only the script shows', () => {
    const page = requestFormPage({ action: '/api/requests' });
    expect(elementText(page, 'reasonDetail-hint')).toMatch(/at most 1000 characters\.$/);
    expect(page).toContain(
      `<textarea id="reasonDetail" name="reasonDetail" maxlength="1000" aria-describedby="reasonDetail-hint"></textarea>
<output class="hint" id="reasonDetail-count" for="reasonDetail" aria-live="polite" hidden><span>1000</span> of 1000 characters left</output><script>${CHARACTER_COUNT_SCRIPT}</script>`,
    );
    expect(escapeHtml(CHARACTER_COUNT_SCRIPT)).toBe(CHARACTER_COUNT_SCRIPT);
  });

  test('keeps the submitted values and selects the chosen reason', () => {
    const page = requestFormPage({
      action: '/api/requests',
      values: { currentEmail: 'ada@fabrikam.com', newEmail: 'bad+@x', reason: 'Other', reasonDetail: 'line 1\nline 2', displayName: 'Ada' },
    });
    expect(page).toMatch(/name="currentEmail"[^>]*value="ada@fabrikam.com"/);
    expect(page).toMatch(/name="newEmail"[^>]*value="bad\+@x"/);
    expect(page).toContain('<option value="Other" selected>Other</option>');
    expect(page).toContain('>line 1\nline 2</textarea>');
    expect(page).toMatch(/name="displayName"[^>]*value="Ada"/);
  });

  test('shows each error next to its field, linked with aria-describedby', () => {
    const page = requestFormPage({ action: '/x', errors: { newEmail: 'The new email cannot contain "+".', reason: 'Choose a reason.' } });
    expect(page).toContain('role="alert"');
    expect(elementText(page, 'newEmail-error')).toBe('The new email cannot contain &quot;+&quot;.');
    expect(elementText(page, 'reason-error')).toBe('Choose a reason.');
    expect(page).toMatch(/<input id="newEmail"[^>]*aria-describedby="newEmail-hint newEmail-error" aria-invalid="true"/);
    expect(page).toMatch(/<select id="reason" name="reason" aria-describedby="reason-error" aria-invalid="true"/);
    expect(page).not.toMatch(/<input id="currentEmail"[^>]*aria-invalid/);
    expect(page).not.toContain('currentEmail-error');
  });

  test('after a failed submit: "Error:" title, and a focused summary whose items link to their fields in form order', () => {
    const page = requestFormPage({ action: '/x', errors: { reason: 'Choose a reason.', currentEmail: 'Enter the email address.' } });
    expect(page).toContain('<title>Error: Change your sign-in email · ');
    expect(page).toContain('<div class="summary" role="alert" tabindex="-1" autofocus aria-labelledby="error-summary-title">');
    const links = [...page.matchAll(/<li><a href="#(\w+)">([^<]*)<\/a><\/li>/g)].map(([, id, text]) => [id, text]);
    expect(links).toEqual([
      ['currentEmail', 'Enter the email address.'],
      ['reason', 'Choose a reason.'],
    ]);
    for (const [id] of links) expect(page).toMatch(new RegExp(`<(input|select|textarea) id="${id}"`));
  });

  test('a problem with the whole submission (429) is in the summary without a link, the values kept', () => {
    const page = requestFormPage({ action: '/x', values: { currentEmail: 'ada@fabrikam.com' }, problem: 'Too many requests. Try again in 5 minutes.' });
    expect(page).toContain('<title>Error: ');
    expect(page).toContain('<ul>\n<li>Too many requests. Try again in 5 minutes.</li>\n</ul>');
    expect(page).toMatch(/name="currentEmail"[^>]*value="ada@fabrikam.com"/);
    expect(page).not.toContain('aria-invalid="true"');
  });
});

test('requestReceivedPage is the same neutral text for everyone, pointing to the new address\'s inbox', () => {
  const page = requestReceivedPage({ confirmationRequired: true });
  expect(page).toContain('Check the inbox of your new email address:');
  expect(page).toContain('a link to confirm that the address is yours');
  expect(page).toContain('<a href="new">send the form again</a>');
  expect(page).toBe(requestReceivedPage({ confirmationRequired: true }));
});

test('requestReceivedPage with confirmation off promises no confirmation link: the new address gets the tracking link', () => {
  const page = requestReceivedPage({ confirmationRequired: false });
  expect(page).toContain('a link to follow your request');
  expect(page).not.toMatch(/confirm/i);
});

describe('approvalPage', () => {
  const page = approvalPage({ request: request(), approver, viewer: mayDecide('/api/approvals/tok', 'csrf-value') });

  test('shows an internationalised domain in Unicode, with the stored punycode beside it so look-alikes show', () => {
    const idn = request({ currentEmail: 'ada@xn--bcher-kva.example', newEmail: 'ada@xn--80ak6aa92e.com' });
    const shown = approvalPage({ request: idn, approver, viewer: mayDecide('/a', 'c') });
    expect(shown).toContain('<dd>ada@bücher.example <span class="hint">(ada@xn--bcher-kva.example)</span></dd>');
    expect(shown).toContain('<dd><strong>ada@аррӏе.com <span class="hint">(ada@xn--80ak6aa92e.com)</span></strong></dd>');
    expect(decisionResultPage({ outcome: 'approved', request: idn })).toContain('from ada@bücher.example <span class="hint">(ada@xn--bcher-kva.example)</span> to');
    expect(page).not.toContain('class="hint">(');
  });

  test('shows guest, old and new email, reason, detail, when, from where and the deadline', () => {
    for (const text of [
      'Ada Lovelace',
      'Ada L.',
      'ada@fabrikam.com',
      'ada@northwind.com',
      REASON_LABELS.MovedCompany,
      'New job at Northwind',
      '2024-05-01 10:00 UTC',
      '<dt>Requested from</dt><dd>Unknown browser on iOS, IP address 203.0.113.7</dd>',
      '2024-05-08 10:00 UTC',
      'Grace Hopper',
    ]) {
      expect(page).toContain(text);
    }
  });

  test('posts decision, comment and csrf from green Approve and red Reject buttons', () => {
    expect(page).toContain('<form method="post" action="/api/approvals/tok">');
    expect(page).toContain('<input type="hidden" name="csrf" value="csrf-value">');
    expect(page).toContain('<textarea id="comment" name="comment"');
    expect(page).toContain('<button type="submit" name="decision" value="approve" class="approve">Approve</button>');
    expect(page).toContain('<button type="submit" name="decision" value="reject" class="reject">Reject</button>');
  });

  test('shows the device in words, never the raw User-Agent', () => {
    const userAgent = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    const chrome = approvalPage({ request: request({ source: { ip: '203.0.113.7', userAgent } }), approver, viewer: mayDecide('/a', 'c') });
    expect(chrome).toContain('<dt>Requested from</dt><dd>Chrome 120 on Windows, IP address 203.0.113.7</dd>');
    expect(chrome).not.toContain('Mozilla/5.0');
    const madeUp = approvalPage({ request: request({ source: { userAgent: 'Verified by IT/1 (call 555 0100' } }), approver, viewer: mayDecide('/a', 'c') });
    expect(madeUp).not.toMatch(/Verified by IT|555 0100/);
  });

  test('sets the name and details the requester typed apart, under the label of the mails, in a section named by it', () => {
    const block = /<section class="warning" aria-labelledby="requester-text">([\s\S]*?)<\/section>/.exec(page)?.[1];
    expect(block).toBeDefined();
    expect(block).toContain(`<h2 id="requester-text">${REQUESTER_TEXT_LABEL}</h2>`);
    expect(block).toContain('<dt>Name given by the requester</dt><dd>Ada L.</dd>');
    expect(block).toContain('<dt>Details from the requester</dt><dd class="detail">New job at Northwind</dd>');
    // Outside the block, only what the directory and the validated form say.
    const outside = page.replace(/<section class="warning" aria-labelledby="requester-text">[\s\S]*?<\/section>/, '');
    expect(outside).not.toMatch(/Ada L\.|New job at Northwind/);
    // A name the directory already shows is not repeated as the requester's.
    const sameName = approvalPage({ request: request({ displayName: 'Ada Lovelace', reasonDetail: undefined }), approver, viewer: mayDecide('/a', 'c') });
    expect(sameName).not.toContain('requester-text');
  });

  test('warns that approving hands the access to whoever controls the new address', () => {
    expect(page).toMatch(/hands all of this guest's access to whoever controls <strong>ada@northwind.com<\/strong>/);
  });

  test('says "unknown" when the source is not known, and leaves out what is missing', () => {
    const bare = approvalPage({
      request: request({ source: {}, reasonDetail: undefined, displayName: undefined, deadline: undefined }),
      approver,
      viewer: mayDecide('/a', 'c'),
    });
    expect(bare).toContain('<dt>Requested from</dt><dd>Unknown browser and system, unknown IP address</dd>');
    expect(bare).not.toMatch(/Details from the requester|Name given by the requester|Decide by/);
  });
});

describe('approvalPage with approver sign-in', () => {
  test('signed out: the details and a sign-in link instead of the decision form', () => {
    const page = approvalPage({ request: request(), approver, viewer: { state: 'signedOut', signInUrl: '/.auth/login/aad?post_login_redirect_uri=%2Fapi%2Fapprovals%2Ftok' } });
    expect(page).toContain('ada@northwind.com');
    expect(page).toContain('<a href="/.auth/login/aad?post_login_redirect_uri=%2Fapi%2Fapprovals%2Ftok">Sign in to decide</a>');
    expect(page).not.toMatch(/<form|name="csrf"|name="decision"/);
  });

  test('signed in as someone else: says so, names the expected approver masked, offers sign-out, and shows neither the request nor a decision form', () => {
    const page = approvalPage({
      request: request(),
      approver,
      viewer: { state: 'someoneElse', signedInAs: 'eve@contoso.com', expected: 'g***@contoso.com', signOutUrl: '/.auth/logout?post_logout_redirect_uri=%2Fa' },
    });
    // A forwarded link: the request, and the approver's own name, stay with the approver.
    for (const detail of ['ada@northwind.com', 'ada@fabrikam.com', approver.displayName, approver.mail]) expect(page).not.toContain(detail);
    expect(page).toContain('You are signed in as eve@contoso.com.');
    // It only refuses: it is not titled as if it asked for a decision.
    expect(page).toContain('<title>Signed in as someone else');
    expect(page).toContain('<h1>Signed in as someone else</h1>');
    expect(page).not.toContain('Approve a sign-in email change?');
    expect(page).toContain('This link was sent to g***@contoso.com');
    expect(page).toContain('<a href="/.auth/logout?post_logout_redirect_uri=%2Fa">Sign out, then sign in as g***@contoso.com</a>');
    expect(page).not.toMatch(/<form|name="csrf"|name="decision"/);
  });

  test('maskEmail keeps the first letter and the domain', () => {
    expect(maskEmail('megan.bowen@contoso.com')).toBe('m***@contoso.com');
    expect(maskEmail('x@contoso.com')).toBe('x***@contoso.com');
    expect(maskEmail('not-an-address')).toBe('***');
  });
});

test('decisionResultPage says what happened for each outcome', () => {
  const approved = decisionResultPage({ outcome: 'approved', request: request() });
  expect(approved).toContain('<h1>Change approved</h1>');
  expect(approved).toContain('ada@northwind.com');
  const rejected = decisionResultPage({ outcome: 'rejected', request: request({ decision: { outcome: 'rejected', by: 'grace@contoso.com', at: '2024-05-02T00:00:00Z', comment: 'Not known' } }) });
  expect(rejected).toContain('<h1>Change rejected</h1>');
  expect(rejected).toContain('Not known');
});

test('messagePage shows its title and message', () => {
  const page = messagePage({ title: 'Already decided', message: 'This request was already approved or rejected.' });
  expect(page).toContain('<h1>Already decided</h1>');
  expect(page).toContain('<p>This request was already approved or rejected.</p>');
});

describe('HTML injection in pages', () => {
  const payloads = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>'];

  test.each(payloads)('every free-text value is escaped: %s', (payload) => {
    const hostile = request({
      displayName: payload,
      reasonDetail: payload,
      guestDisplayName: `${payload} guest`,
      currentEmail: `${payload}@old`,
      newEmail: `${payload}@new`,
      reason: payload as EmailChangeRequest['reason'],
      source: { ip: payload, userAgent: payload },
      submittedAt: payload,
      deadline: payload,
      decision: { outcome: 'rejected', by: payload, at: payload, comment: payload },
    });
    const hostileApprover: Approver = { id: 'x', displayName: payload, mail: payload };
    const pages = [
      requestFormPage({
        action: payload,
        values: { currentEmail: payload, newEmail: payload, reason: payload, reasonDetail: payload, displayName: payload },
        errors: { currentEmail: payload, newEmail: payload, reason: payload, reasonDetail: payload, displayName: payload },
        problem: payload,
      }),
      approvalPage({ request: hostile, approver: hostileApprover, viewer: mayDecide(payload, payload) }),
      approvalPage({ request: hostile, approver: hostileApprover, viewer: { state: 'signedOut', signInUrl: payload } }),
      approvalPage({
        request: hostile,
        approver: hostileApprover,
        viewer: { state: 'someoneElse', signedInAs: payload, expected: payload, signOutUrl: payload },
      }),
      approverSignInPage({ title: payload, message: payload, link: { href: payload, label: payload } }),
      decisionResultPage({ outcome: 'approved', request: hostile }),
      decisionResultPage({ outcome: 'rejected', request: hostile }),
      messagePage({ title: payload, message: payload }),
    ];
    for (const page of pages) {
      expect(page).not.toContain(payload);
      // The form's own counter script is the one script allowed (by its hash).
      expect(page.replace(`<script>${CHARACTER_COUNT_SCRIPT}</script>`, '')).not.toMatch(/<script|<img|onerror=alert\(1\)>/i);
      expect(page).toMatch(/&lt;(script|img)/);
    }
  });
});

describe("the requester's and the owner's pages", () => {
  const idn = request({ currentEmail: 'ada@xn--bcher-kva.example', newEmail: 'ada@xn--80ak6aa92e.com' });
  const SHOWN_OLD = 'ada@bücher.example <span class="hint">(ada@xn--bcher-kva.example)</span>';
  const SHOWN_NEW = 'ada@аррӏе.com <span class="hint">(ada@xn--80ak6aa92e.com)</span>';
  const pages: [string, string][] = [
    ['confirmation', confirmationPage({ request: idn, action: '/c', csrf: 'x', expiresAt: '2024-05-02T10:00:00.000Z' })],
    ['confirmed', confirmedPage({ request: idn, trackUrl: '/t' })],
    ['tracking', trackPage({ request: idn, status: { label: 'In review', deadline: '2024-05-08T10:00:00.000Z', cancellable: true }, cancel: { action: '/t', csrf: 'x' } })],
    ['cancelled', requestCancelledPage({ request: idn })],
    ['report', reportPage({ request: idn, action: '/r', csrf: 'x', adminsAlerted: true })],
  ];

  test.each(pages)('%s shows an internationalised domain in Unicode, with the stored punycode beside it', (_, page) => {
    expect(page).toContain(SHOWN_NEW);
    expect(page.replaceAll(SHOWN_OLD, '').replaceAll(SHOWN_NEW, '')).not.toContain('xn--');
  });

  test('the Unicode form is escaped like any value', () => {
    const page = confirmationPage({ request: request({ newEmail: 'o\'hara&co@xn--bcher-kva.example' }), action: '/c', csrf: 'x', expiresAt: '2024-05-02T10:00:00.000Z' });
    expect(page).toContain('o&#39;hara&amp;co@bücher.example <span class="hint">(o&#39;hara&amp;co@xn--bcher-kva.example)</span>');
    expect(page).not.toContain("o'hara&co");
  });
});
