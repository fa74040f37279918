import { expect, test } from 'vitest';
import { SafeHtml, escapeHtml, html } from '../../src/templates/escape.js';

test('escapeHtml escapes markup and both kinds of quotes', () => {
  expect(escapeHtml(`<a href="x" title='y'>&\`</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;');
});

test('html escapes every interpolation', () => {
  const evil = '"><img src=x onerror=alert(1)>';
  expect(html`<input value="${evil}">`.toString()).toBe('<input value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">');
});

test('nested html templates compose without double escaping', () => {
  const inner = html`<b>${'<i>'}</b>`;
  expect(html`<p>${inner}</p>`.toString()).toBe('<p><b>&lt;i&gt;</b></p>');
});

test('arrays render item by item, each escaped unless made by html', () => {
  expect(html`<ul>${['<x>', html`<li>${'&'}</li>`]}</ul>`.toString()).toBe('<ul>&lt;x&gt;<li>&amp;</li></ul>');
});

test('null, undefined and false render as nothing; numbers and true as text', () => {
  expect(html`${null}|${undefined}|${false}|${0}|${true}`.toString()).toBe('|||0|true');
});

test('a string that looks like markup is still escaped, and objects use their text form', () => {
  const lookalike = { toString: () => '<script>alert(1)</script>' };
  expect(html`${lookalike}`.toString()).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
});

test('SafeHtml cannot be made outside the html tag', () => {
  expect(() => new SafeHtml(Symbol('SafeHtml'), '<script>')).toThrow(TypeError);
});
