import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseSettings } from '../../src/config/settings.js';
import { createGraphEmulator, type GraphEmulator } from '@guest-email-change/graph-emulator';
import { GraphRequestError } from '../../src/graph/graphGateway.js';
import { createMsGraphGateway } from '../../src/graph/msGraphGateway.js';
import { createMailer } from '../../src/mail/mailer.js';

/** The mailer through the real gateway into the emulator's outbox. */

let emulator: GraphEmulator;
let server: Server;
let port: number;

const settingsWith = (sender: string) =>
  parseSettings({
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    GRAPH_BASE_URL: `http://127.0.0.1:${port}`,
    GRAPH_STATIC_TOKEN: 'dev',
    TENANT_VERIFIED_DOMAINS: 'contoso.com',
    PUBLIC_BASE_URL: 'http://localhost:7071',
    APPROVAL_FORM_SECRET: 'x'.repeat(40),
    ORG_NAME: 'Contoso',
    MAIL_SENDER: sender,
    ADMIN_TENANT_ID: 'c0a70500-0000-4000-8000-000000000000',
    ADMIN_API_AUDIENCE: 'api://guest-reset',
  });

beforeAll(async () => {
  emulator = createGraphEmulator();
  server = createServer((req, res) => void emulator.handle(req, res, new URL(req.url ?? '/', 'http://127.0.0.1')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

test('sends from MAIL_SENDER to every recipient', async () => {
  const settings = settingsWith('guest-reset@contoso.com');
  await createMailer(createMsGraphGateway(settings), settings).send({ to: ['a@fabrikam.example', 'b@fabrikam.example'], subject: 'Change requested', html: '<p><a href="https://x.example/r">r</a></p>', text: 'r: https://x.example/r\n' });
  expect(emulator.outbox()).toEqual([
    expect.objectContaining({ from: 'guest-reset@contoso.com', to: ['a@fabrikam.example', 'b@fabrikam.example'], subject: 'Change requested', links: ['https://x.example/r'], text: 'r: https://x.example/r\n' }),
  ]);
});

test('the sender may be given by object id', async () => {
  const settings = settingsWith('10000000-0000-4000-8000-000000000008');
  await createMailer(createMsGraphGateway(settings), settings).send({ to: ['c@fabrikam.example'], subject: 'By id', html: '<p>x</p>', text: 'x' });
  expect(emulator.outbox().at(-1)).toMatchObject({ from: 'guest-reset@contoso.com', subject: 'By id' });
});

test('a sender without a mailbox fails with Graph’s code, not silently', async () => {
  const settings = settingsWith('adele.vance_fabrikam.com#EXT#@contoso.onmicrosoft.com');
  const error = await createMailer(createMsGraphGateway(settings), settings).send({ to: ['c@fabrikam.example'], subject: 's', html: '<p>x</p>', text: 'x' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(GraphRequestError);
  expect(error).toMatchObject({ status: 404, code: 'MailboxNotEnabledForRESTAPI', transient: false });
});
