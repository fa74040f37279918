/**
 * What a mail says, as structure rather than markup: `renderMail` turns one `MailParts` into the
 * HTML part and the plain-text part, with the organisation's header, the one button and the
 * footer, so every mail carries them by construction and both parts say the same thing. Nothing
 * here is markup: every value is escaped when rendered.
 */

/** A run of text inside a paragraph or a row's value. */
export type Inline = string | Strong | Moment | Link;

/** Emphasised text (`<strong>`; plain in the text part). */
export interface Strong {
  strong: string;
}

/**
 * A timestamp, written in UTC and in words relative to the mail's send time: in a paragraph
 * `in 3 days, on Thursday 3 December 2026 14:00 UTC`, as a row's value
 * `Thursday 3 December 2026 14:00 UTC (in 3 days)`.
 */
export interface Moment {
  at: string;
}

/**
 * A secondary link inside the text (the mail's one action is its button): a plain `<a href>`,
 * and in the text part the words followed by the URL.
 */
export interface Link {
  link: string;
  text: string;
}

export interface Paragraph {
  kind: 'paragraph';
  content: Inline[];
}

/** Label and value pairs (a two-column table). A value's line breaks are kept. */
export interface Rows {
  kind: 'rows';
  rows: { label: string; value: Inline[] }[];
}

/** Blocks set apart in a bordered box (and as quoted lines in the text part). */
export interface SetApart {
  kind: 'setApart';
  blocks: Block[];
}

export type Block = Paragraph | Rows | SetApart;

/** The mail's one action: a real button, with the URL written out below it and its expiry. */
export interface MailAction {
  label: string;
  url: string;
  /** When the link stops working; `null` for a link that does not expire. */
  expiresAt: string | null;
}

export interface MailParts {
  /** Plain text, one line; built from directory data and validated addresses, never from free text. */
  subject: string;
  /** The line mail clients preview after the subject; the heading when absent. */
  preheader?: string;
  heading: string;
  /** Completes "You received this email because …": who the reader is to this request. */
  why: string;
  body: Block[];
  action?: MailAction;
}

type Interpolated = Inline | Inline[] | null | undefined | false;

/**
 * A paragraph from a template literal: interpolated strings stay text (escaped when rendered),
 * `strong(...)` and `moment(...)` keep their meaning, and `null`, `undefined` or `false` render as
 * nothing (for `${condition && ...}`).
 */
export function paragraph(strings: TemplateStringsArray, ...values: Interpolated[]): Paragraph {
  const content: Inline[] = [];
  strings.forEach((text, i) => {
    if (text) content.push(text);
    const value = values[i];
    if (i < values.length && value !== null && value !== undefined && value !== false) content.push(...(Array.isArray(value) ? value : [value]));
  });
  return { kind: 'paragraph', content };
}

export const strong = (text: string): Strong => ({ strong: text });

export const moment = (at: string): Moment => ({ at });

export const link = (text: string, url: string): Link => ({ text, link: url });

/** A row is left out when it is `null`, `undefined` or `false` (for `condition && [label, value]`). */
export type Row = [label: string, value: Inline | Inline[]];

export function rows(...entries: (Row | null | undefined | false | '')[]): Rows {
  return { kind: 'rows', rows: entries.filter((entry): entry is Row => !!entry).map(([label, value]) => ({ label, value: Array.isArray(value) ? value : [value] })) };
}

export function setApart(...blocks: Block[]): SetApart {
  return { kind: 'setApart', blocks };
}
