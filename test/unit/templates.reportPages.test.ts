import { describe, expect, test } from 'vitest';
import type { EmailChangeRequest } from '../../src/domain/request.js';
import { reportPage, reportResultPage } from '../../src/templates/requesterPages.js';
import { aRequest as request } from '../support/emailChangeRequest.js';

/** "This wasn't me" (DESIGN §4, reports): what the owner of the current address is told, before and after pressing the button. */

const page = (adminsAlerted: boolean, overrides: Partial<EmailChangeRequest> = {}) => reportPage({ request: request(overrides), action: '/api/reports/t', csrf: 'c1', adminsAlerted });
/** The page's text without tags, so a sentence reads whole. */
const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ');

describe('alerts promised only when they have somewhere to go', () => {
  test('with admin addresses the pages say the administrators are alerted', () => {
    expect(text(page(true))).toContain('the request is cancelled and the administrators are alerted');
    expect(text(reportResultPage({ stopped: true, completed: false, adminsAlerted: true }))).toContain('The administrators and the people asked to approve it were alerted.');
    const late = text(reportResultPage({ stopped: false, completed: true, adminsAlerted: true }));
    expect(late).toContain('Administrators alerted');
    expect(late).toContain('the administrators were alerted to check your account and undo it');
  });

  test('without, no page says anyone alerted the administrators: the report is recorded for their console', () => {
    const alerted = /administrators (are|were) alerted|Administrators alerted|administrators and the people asked to approve it were alerted/;
    const pages = [
      page(false),
      reportResultPage({ stopped: true, completed: false, adminsAlerted: false }),
      reportResultPage({ stopped: false, completed: true, adminsAlerted: false }),
      reportResultPage({ stopped: false, completed: false, adminsAlerted: false }),
    ].map(text);
    for (const shown of pages) expect(shown).not.toMatch(alerted);
    expect(pages[0]).toContain('the request is cancelled and your report is recorded for the administrators, who see it in their console');
    expect(pages[1]).toContain('The request was cancelled: your sign-in email was not changed. The people asked to approve it were told, and your report is recorded for the administrators');
    expect(pages[2]).toContain('Report recorded');
    expect(pages[2]).toContain('The change had already been made, so it could not be stopped here.');
    expect(pages[2]).toContain('nobody is alerted by email: please also contact your sponsor');
    expect(pages[3]).toContain('The request was no longer waiting for a decision');
  });
});

describe("the page fits the request's state", () => {
  /** Each button's words, as a reader sees them. */
  const buttons = (html: string) => [...html.matchAll(/<button type="submit"[^>]*>([^<]*)<\/button>/g)].map((m) => m[1]!.replace(/&#39;|&#x27;/g, "'"));

  test.each(['Received', 'AwaitingConfirmation', 'AwaitingApproval'] as const)('%s: someone asked, stop it here', (status) => {
    const shown = text(page(true, { status }));
    expect(shown).toContain('Someone asked to change the email address you use to sign in as a guest from ada@fabrikam.com to ada@northwind.com.');
    expect(shown).toContain('Stop it here: the request is cancelled');
    expect(buttons(page(true, { status }))).toEqual(["This wasn't me: stop it"]);
  });

  test('Completed: the change was made; it can no longer be stopped, only reported so the administrators can undo it', () => {
    for (const adminsAlerted of [true, false]) {
      const html = page(adminsAlerted, { status: 'Completed' });
      const shown = text(html);
      expect(shown).toContain('The email address you use to sign in as a guest was changed from ada@fabrikam.com to ada@northwind.com');
      expect(shown).toContain('It can no longer be stopped here, but it can be undone: report it here');
      expect(shown).not.toMatch(/Stop it here|request is cancelled|Someone asked/);
      expect(buttons(html)).toEqual(["This wasn't me: report it"]);
    }
    expect(text(page(true, { status: 'Completed' }))).toContain('the administrators are alerted at once to check your account');
    // The old address no longer signs in: it is the previous one now.
    expect(text(page(true, { status: 'Completed' }))).toContain('Previous sign-in emailada@fabrikam.com');
    expect(text(page(true, { status: 'AwaitingApproval' }))).toContain('Current sign-in emailada@fabrikam.com');
    expect(text(page(false, { status: 'Completed' }))).toContain('nobody is alerted by email, so please also contact your sponsor');
  });

  test('Approved: the change is being made, and can be reported', () => {
    const shown = text(page(true, { status: 'Approved' }));
    expect(shown).toContain('approved changing the email address you use to sign in as a guest from ada@fabrikam.com to ada@northwind.com; the change is being made.');
    expect(shown).toContain('It can no longer be stopped here, but it can be undone');
    expect(shown).not.toMatch(/Stop it here|request is cancelled/);
  });

  test.each([
    ['Failed', 'It was approved, but the change could not be made.'],
    ['Rejected', 'It was turned down'],
    ['Cancelled', 'It was cancelled'],
    ['Expired', 'It expired without a decision'],
    ['Declined', 'It was closed'],
  ] as const)('%s: the page says how it ended, and that it can still be reported', (status, ended) => {
    const shown = text(page(true, { status }));
    expect(shown).toContain(ended);
    expect(shown).toContain('you can still report it here: the administrators are alerted.');
    expect(shown).not.toMatch(/Stop it here|request is cancelled/);
  });

  test('every state keeps the one form: posted to the link, with the anti-forgery value', () => {
    for (const status of ['AwaitingApproval', 'Approved', 'Completed', 'Rejected'] as const) {
      const html = page(true, { status });
      expect(html.match(/<form /g)).toHaveLength(1);
      expect(html).toContain('<form method="post" action="/api/reports/t">');
      expect(html).toContain('<input type="hidden" name="csrf" value="c1">');
      expect(buttons(html)).toHaveLength(1);
    }
  });
});
