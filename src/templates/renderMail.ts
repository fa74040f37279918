import { html, type SafeHtml } from './escape.js';
import { PRODUCT_NAME, oneLine } from './format.js';
import type { Block, Inline, MailAction, MailParts } from './mailParts.js';
import type { Organisation } from './organisation.js';
import { timeInWords, timeWithDistance } from './timeInWords.js';

/**
 * The one way a mail is rendered (see `mailParts.ts`). The HTML part is what mail clients render
 * reliably: a table layout at most 600px wide that narrows with the phone's screen (viewport meta,
 * fluid width, and a fixed-width table for Outlook on Windows, which ignores max-width), inline
 * styles only, and a "bulletproof" button (a coloured cell around a padded link) that Outlook
 * draws too. The plain-text part says the same with every link written out.
 */

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

/** What every mail shows besides its own parts; `now` is the send time that times are told from. */
export interface MailContext {
  org: Organisation;
  now: Date;
}

const FONT = 'font-family:Segoe UI,Roboto,Helvetica,Arial,sans-serif;';
const TEXT = `${FONT}font-size:16px;line-height:24px;color:#1b1b1b;`;
const SMALL = `${FONT}font-size:13px;line-height:20px;color:#5a5f66;`;
const BUTTON_COLOUR = '#0b5cad';

export function renderMail(parts: MailParts, context: MailContext): RenderedMail {
  const subject = oneLine(parts.subject);
  return { subject, html: mailHtml(subject, parts, context), text: mailText(parts, context) };
}

// HTML part

function inlineHtml(content: Inline[], context: MailContext, timeStyle: 'sentence' | 'value'): SafeHtml[] {
  return content.map((item) => {
    if (typeof item === 'string') return lines(item);
    if ('strong' in item) return html`<strong>${lines(item.strong)}</strong>`;
    if ('link' in item) return html`<a href="${item.link}" target="_blank" style="color:${BUTTON_COLOUR};">${item.text}</a>`;
    return html`${timeStyle === 'sentence' ? timeInWords(item.at, context.now) : timeWithDistance(item.at, context.now)}`;
  });
}

/** Free text keeps its line breaks without being trusted as markup. */
const lines = (text: string): SafeHtml => html`${text.split('\n').map((line, i) => (i === 0 ? html`${line}` : html`<br>${line}`))}`;

function blockHtml(block: Block, context: MailContext): SafeHtml {
  switch (block.kind) {
    case 'paragraph':
      return html`<p style="margin:0 0 16px;${TEXT}">${inlineHtml(block.content, context, 'sentence')}</p>
`;
    case 'rows':
      return html`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 16px;">
${block.rows.map(
  (row) => html`<tr><th align="left" valign="top" style="padding:4px 12px 4px 0;width:40%;${SMALL}font-weight:bold;">${row.label}</th><td valign="top" style="padding:4px 0;${TEXT}word-break:break-word;">${inlineHtml(row.value, context, 'value')}</td></tr>
`,
)}</table>
`;
    case 'setApart':
      return html`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 16px;border:1px solid #b26a00;background-color:#fff4e0;">
<tr><td style="padding:12px 12px 0;">
${block.blocks.map((inner) => blockHtml(inner, context))}</td></tr>
</table>
`;
  }
}

function buttonHtml(action: MailAction, context: MailContext): SafeHtml {
  return html`<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:8px 0 16px;">
<tr><td align="center" bgcolor="${BUTTON_COLOUR}" style="border-radius:6px;background-color:${BUTTON_COLOUR};">
<a href="${action.url}" target="_blank" style="display:inline-block;padding:12px 28px;border:1px solid ${BUTTON_COLOUR};border-radius:6px;${FONT}font-size:16px;line-height:24px;font-weight:bold;color:#ffffff;text-decoration:none;">${action.label}</a>
</td></tr>
</table>
<p style="margin:0 0 8px;${SMALL}">If the button does not work, copy this address into your browser:<br><span style="word-break:break-all;color:#1b1b1b;">${action.url}</span></p>
<p style="margin:0 0 16px;${SMALL}">${expiryLine(action, context)}</p>
`;
}

function mailHtml(subject: string, parts: MailParts, context: MailContext): string {
  const { org } = context;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<meta name="color-scheme" content="light">
<title>${subject}</title>
</head>
<body style="margin:0;padding:0;background-color:#f4f5f7;">
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">${parts.preheader ?? parts.heading}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f5f7;">
<tr><td align="center" style="padding:24px 8px;">
<!--[if mso]><table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background-color:#ffffff;border:1px solid #d9dce1;">
<tr><td style="padding:16px 24px;border-bottom:1px solid #d9dce1;${FONT}font-size:18px;line-height:28px;font-weight:bold;color:#1b1b1b;">
${org.logoUrl && html`<img src="${org.logoUrl}" alt="" height="32" style="display:block;height:32px;width:auto;border:0;margin:0 0 8px;">
`}${org.name}
</td></tr>
<tr><td style="padding:24px;">
<h1 style="margin:0 0 16px;${FONT}font-size:22px;line-height:30px;color:#1b1b1b;">${parts.heading}</h1>
${parts.body.map((block) => blockHtml(block, context))}${parts.action && buttonHtml(parts.action, context)}</td></tr>
<tr><td style="padding:16px 24px;border-top:1px solid #d9dce1;background-color:#fafafb;">
<p style="margin:0 0 8px;${SMALL}">${whyLine(parts, context)}</p>
${org.support && html`<p style="margin:0 0 8px;${SMALL}">Questions? Contact <a href="${org.support.href}" style="color:${BUTTON_COLOUR};">${org.support.label}</a>.</p>
`}<p style="margin:0;${SMALL}">${sentBy(context)}</p>
</td></tr>
</table>
<!--[if mso]></td></tr></table><![endif]-->
</td></tr>
</table>
</body>
</html>
`.toString();
}

// Wording both parts share

const whyLine = (parts: MailParts, context: MailContext): string => `You received this email from ${context.org.name} because ${parts.why}.`;

const sentBy = (context: MailContext): string => `Sent automatically by the ${PRODUCT_NAME} service of ${context.org.name}. Replies are not read.`;

function expiryLine(action: MailAction, context: MailContext): string {
  if (action.expiresAt === null) return 'This link does not expire.';
  return `This link stops working ${timeInWords(action.expiresAt, context.now)}.`;
}

// Text part

function inlineText(content: Inline[], context: MailContext, timeStyle: 'sentence' | 'value'): string {
  return content
    .map((item) => {
      if (typeof item === 'string') return item;
      if ('strong' in item) return item.strong;
      if ('link' in item) return `${item.text} (${item.link})`;
      return timeStyle === 'sentence' ? timeInWords(item.at, context.now) : timeWithDistance(item.at, context.now);
    })
    .join('');
}

function blockText(block: Block, context: MailContext): string {
  switch (block.kind) {
    case 'paragraph':
      return inlineText(block.content, context, 'sentence');
    case 'rows':
      // A value's later lines are indented, so they read as part of it, not as a row of their own.
      return block.rows.map((row) => `${row.label}: ${inlineText(row.value, context, 'value').replace(/\n/g, '\n    ')}`).join('\n');
    case 'setApart':
      return block.blocks
        .map((inner) => blockText(inner, context))
        .join('\n\n')
        .split('\n')
        .map((line) => (line ? `| ${line}` : '|'))
        .join('\n');
  }
}

function mailText(parts: MailParts, context: MailContext): string {
  const { org } = context;
  const sections = [org.name, `${parts.heading}\n${'='.repeat(Math.min(parts.heading.length, 70))}`, ...parts.body.map((block) => blockText(block, context))];
  if (parts.action) sections.push(`${parts.action.label}:\n${parts.action.url}\n${expiryLine(parts.action, context)}`);
  const footer = [whyLine(parts, context), ...(org.support ? [`Questions? Contact ${org.support.label}.`] : []), sentBy(context)];
  sections.push(`--\n${footer.join('\n')}`);
  return `${sections.join('\n\n')}\n`;
}
