import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { CHARACTER_COUNT_SCRIPT, CHARACTER_COUNT_SCRIPT_SHA256 } from '../../src/templates/characterCount.js';
import { escapeHtml, html } from '../../src/templates/escape.js';
import { PAGE_CSP, PAGE_CSS, PAGE_CSS_SHA256, pageCsp, renderPage } from '../../src/templates/layout.js';

const page = renderPage({ title: 'Hello <you>', body: html`<p>${'body & soul'}</p>` });

test('a full document with language, phone viewport, no referrer and an escaped title', () => {
  expect(page.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
  expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
  expect(page).toContain('<meta name="referrer" content="no-referrer">');
  expect(page).toContain('<title>Hello &lt;you&gt; · ');
  expect(page).toContain('<p>body &amp; soul</p>');
});

test('the inline style sheet is exactly PAGE_CSS, and its CSP hash matches what browsers compute', () => {
  expect(escapeHtml(PAGE_CSS)).toBe(PAGE_CSS);
  const inline = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1];
  expect(inline).toBe(PAGE_CSS);
  expect(PAGE_CSS_SHA256).toBe(`sha256-${createHash('sha256').update(inline ?? '').digest('base64')}`);
});

test('no script, no inline style attributes, no event handlers', () => {
  expect(page).not.toMatch(/<script|\sstyle=|\son[a-z]+=/i);
  expect(page.match(/<style>/g)).toHaveLength(1);
});

test('the policy allows nothing but the hashed style sheet, the hashed counter script and same-origin forms', () => {
  expect(PAGE_CSP).toContain("default-src 'none'");
  expect(PAGE_CSP).toContain(`style-src 'self' '${PAGE_CSS_SHA256}'`);
  expect(PAGE_CSP).toContain(`script-src '${CHARACTER_COUNT_SCRIPT_SHA256}';`);
  expect(CHARACTER_COUNT_SCRIPT_SHA256).toBe(`sha256-${createHash('sha256').update(CHARACTER_COUNT_SCRIPT).digest('base64')}`);
  expect(PAGE_CSP).toContain("form-action 'self'");
  expect(PAGE_CSP).toContain("frame-ancestors 'none'");
  expect(PAGE_CSP).not.toMatch(/unsafe|script-src[^;]*'self'/);
});

describe('the organisation on every page', () => {
  const org = { name: 'Contoso <Ltd>', logoUrl: 'https://cdn.contoso.com/brand/logo.png?v=2', support: { label: 'helpdesk@contoso.com', href: 'mailto:helpdesk@contoso.com' } };
  const branded = renderPage({ title: 'Request received', body: html`<p>x</p>` }, org);

  test('its name and logo head the page, its support contact ends it, all escaped', () => {
    expect(branded).toContain('<header class="org"><img src="https://cdn.contoso.com/brand/logo.png?v=2" alt=""><span>Contoso &lt;Ltd&gt;</span></header>');
    expect(branded).toContain('<footer>\n<p>Questions? Contact <a href="mailto:helpdesk@contoso.com">helpdesk@contoso.com</a>.</p>');
    expect(branded).toContain('<title>Request received · Guest sign-in email change · Contoso &lt;Ltd&gt;</title>');
  });

  test('without a logo or support contact, neither is shown', () => {
    const plain = renderPage({ title: 't', body: html`` }, { name: 'Contoso' });
    expect(plain).toContain('<header class="org"><span>Contoso</span></header>');
    expect(plain).not.toMatch(/<img|Questions\?/);
  });

  test('the policy allows images from the logo origin only, and only when a logo is set', () => {
    expect(pageCsp(org)).toBe(`${PAGE_CSP}; img-src https://cdn.contoso.com`);
    expect(pageCsp({ name: 'Contoso' })).toBe(PAGE_CSP);
    expect(pageCsp(undefined)).toBe(PAGE_CSP);
    expect(PAGE_CSP).not.toContain('img-src');
  });
});
