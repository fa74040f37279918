import type { Settings } from '../config/settings.js';
import type { GraphGateway, MailMessage } from '../graph/graphGateway.js';

/** Sends the product's notifications; activities depend on this, not on Graph. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** Mail goes out through Graph `sendMail` from the one configured mailbox (DESIGN §5). */
export function createMailer(graph: GraphGateway, settings: Settings): Mailer {
  return {
    send: (message) => graph.sendMail({ ...message, from: settings.MAIL_SENDER }),
  };
}
