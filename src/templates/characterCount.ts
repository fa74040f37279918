import { createHash } from 'node:crypto';
import { html, type SafeHtml } from './escape.js';

/**
 * A "characters left" counter for a text area, as progressive enhancement: the hint states the
 * limit for everyone, and where scripts run this shows what is left as one types, in a polite
 * live region (`<output>`, role `status`) so a screen reader hears it without losing its place.
 *
 * The script is the only one pages run, allowed by its hash (`script-src`), not by origin. Like
 * `PAGE_CSS` it is interpolated through `html`, so it holds none of `& < > " ' \``: it finds its
 * counter as the element just before it, and the text area through the counter's `for`, so it
 * needs no string at all. It counts what `maxlength` counts (UTF-16 units), the limit the browser
 * enforces while typing.
 */
export const CHARACTER_COUNT_SCRIPT =
  '(function(){var counter=document.currentScript.previousElementSibling,' +
  'field=counter.form.elements[counter.htmlFor.value],left=counter.firstElementChild;' +
  'function update(){left.textContent=field.maxLength-field.value.length}' +
  'field.oninput=update;update();counter.hidden=false})()';

/** The CSP hash source of `CHARACTER_COUNT_SCRIPT` (without the surrounding single quotes). */
export const CHARACTER_COUNT_SCRIPT_SHA256 = `sha256-${createHash('sha256').update(CHARACTER_COUNT_SCRIPT, 'utf8').digest('base64')}`;

/** The counter for the text area `fieldId` (whose `maxlength` is `limit`); place it right after it, inside the form. */
export function characterCount(fieldId: string, limit: number): SafeHtml {
  return html`<output class="hint" id="${fieldId}-count" for="${fieldId}" aria-live="polite" hidden><span>${limit}</span> of ${limit} characters left</output><script>${CHARACTER_COUNT_SCRIPT}</script>`;
}
