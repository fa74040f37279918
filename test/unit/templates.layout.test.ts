import { createHash } from 'node:crypto';
import { expect, test } from 'vitest';
import { CHARACTER_COUNT_SCRIPT, CHARACTER_COUNT_SCRIPT_SHA256 } from '../../src/templates/characterCount.js';
import { escapeHtml, html } from '../../src/templates/escape.js';
import { PAGE_CSP, PAGE_CSS, PAGE_CSS_SHA256, renderPage } from '../../src/templates/layout.js';

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
