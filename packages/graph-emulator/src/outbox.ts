import { randomUUID } from 'node:crypto';

/** A message "sent" through the emulated `sendMail`, as `/_dev/outbox.json` shows it (DESIGN §7). */
export interface OutboxMessage {
  id: string;
  from: string;
  to: string[];
  subject: string;
  html: string;
  /** The plain-text part, when the message had one (MIME mode). */
  text?: string;
  /** Every `href` in the body, entity-decoded, in order: what a person (or a test) would click. */
  links: string[];
  sentAt: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1].toLowerCase() === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

export function extractLinks(html: string): string[] {
  const links: string[] = [];
  for (const match of html.matchAll(/\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi)) {
    links.push(decodeEntities(match[1] ?? match[2] ?? match[3] ?? ''));
  }
  return links;
}

/** Mail kept in memory, oldest first. */
export class Outbox {
  private readonly messages: OutboxMessage[] = [];

  add(message: { from: string; to: string[]; subject: string; html: string; text?: string; sentAt: Date }): OutboxMessage {
    const stored: OutboxMessage = {
      id: randomUUID(),
      from: message.from,
      to: [...message.to],
      subject: message.subject,
      html: message.html,
      ...(message.text === undefined ? {} : { text: message.text }),
      links: extractLinks(message.html),
      sentAt: message.sentAt.toISOString(),
    };
    this.messages.push(stored);
    return stored;
  }

  list(): OutboxMessage[] {
    return this.messages.map((m) => ({ ...m, to: [...m.to], links: [...m.links] }));
  }

  /** Replaces the messages, e.g. with a list saved before a restart. */
  replace(messages: OutboxMessage[]): void {
    this.messages.splice(0, this.messages.length, ...messages.map((m) => ({ ...m, to: [...m.to], links: [...m.links] })));
  }

  clear(): void {
    this.messages.length = 0;
  }
}
