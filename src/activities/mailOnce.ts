import type { AuditEvent } from '../domain/request.js';
import type { MailParts } from '../templates/mailParts.js';
import { organisationOf } from '../templates/organisation.js';
import { renderMail } from '../templates/renderMail.js';
import { auditEvent, type ActivityDependencies } from './activityDependencies.js';

/**
 * Sends the mail unless an earlier run of the step already did. A function is called only when
 * the mail is really sent (so a skipped approval mail mints no token). Every mail is rendered here,
 * with the organisation's settings and the send time that its times are told from.
 */
export type MailOnce = ((key: string, to: string[], mail: MailParts | (() => Promise<MailParts>)) => Promise<void>) & {
  /** Writes the markers held back (`deferMarkers`), in one transaction. */
  flush(): Promise<void>;
};

/**
 * Mail that a re-run step must not send again. Each sent message leaves a `MailSent` audit event
 * with a stable id; a retry of the step (say after a later mail failed) skips the ones already
 * recorded. The trail also tells admins who was told what, without the message's links.
 * `events` saves the read when the caller has just listed the request's audit trail.
 * `deferMarkers`: a step that sends several mails writes their markers together when it calls
 * `flush` (in a `finally`, so a mail refused later does not cost the markers of those sent).
 */
export async function mailOnceFor(
  deps: ActivityDependencies,
  requestId: string,
  events?: readonly AuditEvent[],
  options: { deferMarkers?: boolean } = {},
): Promise<MailOnce> {
  const recorded = new Set((events ?? (await deps.store.listEvents(requestId))).map((event) => event.id));
  const held: AuditEvent[] = [];
  const send = async (key: string, to: string[], mail: MailParts | (() => Promise<MailParts>)) => {
    const recipients = to.filter(Boolean);
    const markerId = `${requestId}:mail:${key}`;
    if (recipients.length === 0 || recorded.has(markerId)) return;
    const parts = typeof mail === 'function' ? await mail() : mail;
    const { subject, html, text } = renderMail(parts, { org: organisationOf(deps.settings), now: deps.clock() });
    await deps.mailer.send({ to: recipients, subject, html, text });
    const marker = auditEvent(deps, requestId, `mail:${key}`, 'MailSent', 'system', { to: recipients, subject });
    if (options.deferMarkers) held.push(marker);
    else await deps.store.appendEvent(marker);
    recorded.add(markerId);
  };
  const flush = async () => {
    await deps.store.appendEvents(held.splice(0));
  };
  return Object.assign(send, { flush });
}
