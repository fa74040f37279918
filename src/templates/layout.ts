import { createHash } from 'node:crypto';
import { CHARACTER_COUNT_SCRIPT_SHA256 } from './characterCount.js';
import { html, type SafeHtml } from './escape.js';
import { PRODUCT_NAME } from './format.js';
import { configuredOrganisation, type Organisation } from './organisation.js';

/**
 * The page shell. Pages send `Content-Security-Policy: default-src 'none'` with only this style
 * sheet allowed, by hash, and one small script, by hash (the form's character counter, which
 * only enhances): forms post without JavaScript.
 *
 * The CSS must contain none of `& < > " ' \``: it is interpolated through `html` (so it is
 * escaped like any value), and escaping must leave it byte-for-byte intact for the hash to match.
 */
export const PAGE_CSS = [
  '*,*::before,*::after{box-sizing:border-box}',
  'body{margin:0;font-family:system-ui,-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5;color:#1b1b1b;background:#f4f5f7}',
  // A long address breaks rather than widen the page past a phone's screen.
  'main{max-width:40rem;margin:0 auto;padding:1.5rem 1rem;overflow-wrap:break-word}',
  '.card{background:#fff;border:1px solid #d9dce1;border-radius:8px;padding:1.25rem}',
  'h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}',
  'label{display:block;font-weight:600;margin:1rem 0 .25rem}',
  '.hint{color:#5a5f66;font-size:.9rem;margin:0 0 .25rem}',
  'input,select,textarea{display:block;width:100%;font:inherit;padding:.6rem .7rem;border:1px solid #8a9099;border-radius:6px;background:#fff;color:inherit}',
  'textarea{min-height:7rem;resize:vertical}',
  'input:focus,select:focus,textarea:focus,button:focus{outline:3px solid #0b5cad;outline-offset:1px}',
  '.summary:focus{outline:3px solid #0b5cad;outline-offset:1px}',
  '[aria-invalid=true]{border-color:#b3261e}',
  '.error{color:#b3261e;font-weight:600;margin:.25rem 0 0}',
  '.summary{border-left:4px solid #b3261e;background:#fdecea;padding:.75rem 1rem;margin:0 0 1rem}',
  '.warning{border-left:4px solid #b26a00;background:#fff4e0;padding:.75rem 1rem;margin:1.25rem 0}',
  'dl{margin:0}',
  'dt{font-weight:600;color:#5a5f66;font-size:.9rem;margin-top:.75rem}',
  'dd{margin:0;overflow-wrap:anywhere}',
  '.detail{white-space:pre-wrap}',
  '.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.25rem}',
  'button{font:inherit;font-weight:600;border:0;border-radius:6px;padding:.75rem 1.5rem;min-width:8rem;flex:1 1 auto;cursor:pointer;color:#fff;background:#0b5cad}',
  'button.approve{background:#1e7e34}',
  'button.reject{background:#b3261e}',
  '.org{max-width:40rem;margin:0 auto;padding:1.25rem 1rem 0;display:flex;align-items:center;gap:.75rem;font-weight:600;font-size:1.1rem}',
  '.org img{height:2rem;width:auto}',
  'footer{max-width:40rem;margin:0 auto;padding:0 1rem 2rem;color:#5a5f66;font-size:.9rem}',
  'footer a{color:#0b5cad}',
  // The admin console: wider pages, figures, filters, tables that scroll on a phone, link buttons.
  'main.wide,.wide~footer{max-width:72rem;overflow-wrap:anywhere}',
  'a.button{display:inline-block;font-weight:600;border-radius:6px;padding:.75rem 1.5rem;text-decoration:none;color:#fff;background:#0b5cad}',
  'a.button.secondary{color:#0b5cad;background:#fff;border:1px solid #0b5cad}',
  'a:focus{outline:3px solid #0b5cad;outline-offset:2px}',
  '.crumbs{font-size:.9rem;margin:0 0 1rem}',
  '.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.75rem;list-style:none;margin:0 0 1.5rem;padding:0}',
  '.figures a{display:block;padding:.75rem;border:1px solid #d9dce1;border-radius:6px;color:#1b1b1b;text-decoration:none}',
  '.figures strong{display:block;font-size:1.5rem}',
  '.filters{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:0 1rem}',
  '.filters fieldset,.filters .actions{grid-column:1/-1}',
  'fieldset{border:1px solid #d9dce1;border-radius:6px;margin:1rem 0 0;padding:.5rem 1rem}',
  '.choices{display:flex;flex-wrap:wrap;gap:0 1.25rem}',
  '.choices label{font-weight:400;margin:.25rem 0}',
  'input[type=checkbox]{display:inline-block;width:auto;margin:0 .35rem 0 0}',
  '.scroll{overflow-x:auto}',
  'table{width:100%;border-collapse:collapse;font-size:.95rem}',
  'th,td{text-align:left;vertical-align:top;padding:.5rem;border-bottom:1px solid #d9dce1}',
  '.notice{border-left:4px solid #1e7e34;background:#e8f5ec;padding:.75rem 1rem;margin:0 0 1rem}',
  '.action-list{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.75rem}',
  '.timeline p{margin:0}',
  '.timeline li{margin:0 0 .75rem}',
].join('\n');

/** The CSP hash source of `PAGE_CSS` (without the surrounding single quotes). */
export const PAGE_CSS_SHA256 = `sha256-${createHash('sha256').update(PAGE_CSS, 'utf8').digest('base64')}`;

/**
 * A complete policy for every HTML page. `form-action`, `frame-ancestors` and `base-uri` do not
 * fall back to `default-src`, so they are spelled out.
 */
export const PAGE_CSP = `default-src 'none'; script-src '${CHARACTER_COUNT_SCRIPT_SHA256}'; style-src 'self' '${PAGE_CSS_SHA256}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

/** The policy of pages showing the organisation: images from the logo's origin only, and only when there is a logo. */
export function pageCsp(org: Organisation | undefined): string {
  return org?.logoUrl ? `${PAGE_CSP}; img-src ${new URL(org.logoUrl).origin}` : PAGE_CSP;
}

/**
 * A full HTML document, headed by the organisation (name, and logo when set) and ending with its
 * support contact. `no-referrer` keeps approval-link tokens out of Referer headers; pages are
 * personal, so robots are told to stay away. `org` is the configured one unless given (tests).
 */
export function renderPage(page: { title: string; body: SafeHtml; wide?: boolean }, org: Organisation | undefined = configuredOrganisation()): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${page.title} · ${PRODUCT_NAME}${org && html` · ${org.name}`}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
${org && html`<header class="org">${org.logoUrl && html`<img src="${org.logoUrl}" alt="">`}<span>${org.name}</span></header>
`}<main${page.wide && html` class="wide"`}>
<div class="card">
${page.body}
</div>
</main>
<footer>
${org?.support && html`<p>Questions? Contact <a href="${org.support.href}">${org.support.label}</a>.</p>
`}<p>${PRODUCT_NAME}${org && html` for ${org.name}`}.</p>
</footer>
</body>
</html>
`.toString();
}
