/**
 * HTML escaping by construction: the `html` tag escapes every interpolated value unless it is a
 * `SafeHtml` made by `html` itself. Templates compose by nesting, and there is no public way to
 * mark an arbitrary string as safe, so nothing reaches a page unescaped by accident.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escapes text for element content and quoted attribute values alike. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"'`]/g, (c) => ENTITIES[c]);
}

/** Only this module holds the key, so only `html` can construct a `SafeHtml`. */
const CONSTRUCTION_KEY = Symbol('SafeHtml');

/** Markup produced by `html`. */
export class SafeHtml {
  readonly #markup: string;
  constructor(key: symbol, markup: string) {
    if (key !== CONSTRUCTION_KEY) throw new TypeError('SafeHtml is made only by the html tag');
    this.#markup = markup;
  }
  toString(): string {
    return this.#markup;
  }
}

/**
 * Values render as: `SafeHtml` verbatim; arrays item by item (for lists of nested templates);
 * `null`, `undefined` and `false` as nothing (for `${cond && html`...`}`); anything else escaped.
 */
function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(value);
}

/** Tagged template that escapes every interpolation; see the module comment. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  return new SafeHtml(CONSTRUCTION_KEY, strings.reduce((out, text, i) => out + text + (i < values.length ? render(values[i]) : ''), ''));
}
