import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { EmailChangeRequest } from '../../src/domain/request.js';
import { createRequestStoreFromTables } from '../../src/store/tableRequestStore.js';
import { createStoreTables } from '../../src/store/tables.js';
import { eventually, startLocalApp, type LocalApp } from './support/localApp.js';
import { adminGet, approvalLink, consoleActionStep, decide, guestWithSponsor, injectFault, signInAs, submit, tenant, waitForMail, waitForStatus } from './support/flow.js';
import { adminCall } from './support/openApi.js';

/**
 * `POST /api/admin/requests/{id}/retry` as DESIGN §4 states it, on the real host: a reset that
 * failed on a series of Graph 503s (its retries exhausted, stored with Graph's code and request-id
 * and marked transient) runs again
 * and completes, only one of two admins retrying at once gets it; a permanent refusal and a
 * failure outside `RETRY_WINDOW` (an hour here) are 409. The app's tables are in the shared
 * Azurite, so requests whose approval lies in the past can be seeded.
 */

const PREFIX = 'AdminRetryE2e';
const ADMIN = { oid: '7e0c2b14-2f6a-4c1d-8d3e-1f2a3b4c5d6e', name: 'Rita Retry', preferred_username: 'rita.retry@contoso.com' };
/** The Graph client tries each call six times, and the reset's retry policy runs the activity five times. */
const EXHAUSTING_503S = 30;

let app: LocalApp;
let token: string;
const store = () => {
  const tables = createStoreTables({ connectionString: inject('azuriteConnectionString'), tableNamePrefix: PREFIX });
  return createRequestStoreFromTables(tables);
};
beforeAll(async () => {
  app = await startLocalApp({ env: { AzureWebJobsStorage: inject('azuriteConnectionString'), TABLE_NAME_PREFIX: PREFIX, RETRY_WINDOW: 'PT1H' } });
  token = (await app.json<{ token: string }>('POST', '/_dev/token', { roles: ['GuestReset.Admin'], ...ADMIN })).body.token;
});
afterAll(async () => {
  await app?.json('DELETE', '/_dev/graph/faults');
  await app?.stop();
});

interface ErrorBody {
  error: { code: string; message: string };
}
type AuditEvents = { type: string; actor: string; detail?: Record<string, unknown> }[];

const retry = <T = unknown>(id: string) => adminCall<T>(app, 'POST', `/api/admin/requests/${id}/retry`, { token });

/** A sponsored guest's request, approved by the sponsor once `fault` is in place. */
async function approvedWith(label: string, fault: Record<string, unknown>) {
  const { guest, sponsor } = await guestWithSponsor(app, label);
  const newEmail = `${label}.${Date.now()}@northwind.example`;
  const id = await submit(app, { currentEmail: guest.mail, newEmail });
  const link = approvalLink(await waitForMail(app, (m) => m.to.includes(sponsor.mail), 'approval mail'));
  await waitForStatus(app, id, 'AwaitingApproval');
  await injectFault(app, fault);
  expect((await decide(link, 'approve')).status).toBe(200);
  return { id, guest, sponsor, newEmail };
}

test('a reset that failed on 503s is retried by one of two admins at once and completes; the request, its trail and its instance tell the story', async () => {
  const { id, guest, newEmail } = await approvedWith('transient', { method: 'POST', path: '/v1.0/invitations', status: 503, count: EXHAUSTING_503S, retryAfter: 0 });
  const failed = await waitForStatus(app, id, 'Failed', 240_000);
  // The approver gave no comment: the view names it, null, like every fact not known (DESIGN §4 `decision`).
  expect(failed.request.decision).toEqual({ outcome: 'approved', by: expect.any(String), at: expect.any(String), comment: null });
  expect(failed.request.result).toEqual({ code: 'ServiceUnavailable', message: expect.any(String), requestId: expect.any(String), transient: true });
  expect((failed.events as AuditEvents).filter((e) => e.type === 'ResetTryFailed').length).toBeGreaterThan(1);
  // The failed run puts mail back and tells everyone before it ends; a retry waits for that.
  await eventually(async () => ((await adminGet(app, id)).orchestration.runtimeStatus === 'Completed' ? true : undefined), 60_000, 'the failed run to end');
  await app.json('DELETE', '/_dev/graph/faults');

  // Two admins at once, one in the console (after its confirmation step), one over the API: one gets it.
  const rival = await app.addUser({ displayName: `Console Admin ${Date.now()}`, mail: `console.${Date.now()}@contoso.com`, userType: 'Member' });
  const cookie = await signInAs(app.url, { userId: rival.id }, ['GuestReset.Admin']);
  const step = await consoleActionStep(app, cookie, id, 'retry');
  expect(step.status).toBe(200);
  expect(step.html).toContain('runs again as approved');
  const [fromConsole, fromApi] = await Promise.all([step.post({ reason: 'Graph is back' }), retry<{ attempt: number; instanceId: string } | ErrorBody>(id)]);
  const apiWon = fromApi.status === 202;
  expect({ api: fromApi.status, console: fromConsole.status }).toEqual(apiWon ? { api: 202, console: 409 } : { api: 409, console: 303 });
  const winner = apiWon ? { name: ADMIN.name, objectId: ADMIN.oid, username: ADMIN.preferred_username } : { name: rival.displayName, objectId: rival.id, username: rival.mail };
  if (apiWon) expect(fromApi.body).toMatchObject({ attempt: 2, instanceId: `${id}-retry-2` });
  else {
    expect((fromApi.body as ErrorBody).error.code).toBe('NotRetryable');
    expect(fromConsole.headers.get('location')).toBe(`/api/admin/console/requests/${id}?done=retry`);
  }

  const done = await waitForStatus(app, id, 'Completed', 120_000);
  expect(done.request.result?.invitationId).toBeTruthy();
  expect((done.request as { resetAttempt?: number }).resetAttempt).toBe(2);
  expect(done.orchestration).toMatchObject({ instanceId: `${id}-retry-2` });
  expect((await tenant(app)).users.find((u) => u.id === guest.id)?.mail).toBe(newEmail);
  const events = done.events as AuditEvents;
  expect(events.filter((e) => e.type === 'RetryRequested')).toEqual([
    expect.objectContaining({ actor: winner.name, detail: expect.objectContaining({ attempt: 2, objectId: winner.objectId, username: winner.username, failedWith: expect.objectContaining({ code: 'ServiceUnavailable', transient: true }) }) }),
  ]);
  expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['Failed', 'RetryRequested', 'RedemptionReset', 'Completed']));
  await waitForMail(app, (m) => m.to.includes(newEmail), 'the redeem mail to the new address');

  const again = await retry<ErrorBody>(id);
  expect(again.status).toBe(409);
  expect(again.body.error.code).toBe('NotRetryable');
  // Nor does the console offer it any more.
  const over = await fetch(step.url, { headers: { cookie } });
  expect(over.status).toBe(409);
  expect(await over.text()).toContain('only a Failed request can be retried');
}, 420_000);

test('a reset Graph refused for good (400) is not retried: 409 saying so', async () => {
  const { id } = await approvedWith('permanent', { method: 'POST', path: '/v1.0/invitations', status: 400, count: 1, code: 'BadRequest', message: 'Invalid invitedUserEmailAddress' });
  const failed = await waitForStatus(app, id, 'Failed');
  expect(failed.request.result).toMatchObject({ code: 'BadRequest' });
  const res = await retry<ErrorBody>(id);
  expect(res.status).toBe(409);
  expect(res.body.error).toMatchObject({ code: 'NotRetryable', message: expect.stringContaining('permanent error (BadRequest)') });
});

/** A request stored as if its reset had failed on a transient fault after an approval at `approvedAt`. */
async function seedTransientFailure(id: string, approvedAt: string, overrides: Partial<EmailChangeRequest> = {}): Promise<void> {
  const request: EmailChangeRequest = {
    id,
    status: 'Failed',
    currentEmail: `${id}@partner.example`,
    newEmail: `${id}@newco.example`,
    reason: 'MovedCompany',
    source: {},
    submittedAt: approvedAt,
    updatedAt: approvedAt,
    guestId: `g-${id}`,
    approvers: [{ id: 'sponsor', displayName: 'Sponsor', mail: 'sponsor@contoso.com' }],
    decision: { outcome: 'approved', by: 'sponsor@contoso.com', at: approvedAt },
    result: { code: 'InternalError', message: 'Internal error (reference 00000000-0000-0000-0000-000000000000).' },
    ...overrides,
  };
  await store().createRequest(request, { requestId: id, id: 'seeded', at: approvedAt, type: 'Submitted', actor: 'requester' });
}

test('a transient failure approved longer ago than RETRY_WINDOW is not retried: 409 naming the window', async () => {
  const id = `window-${Date.now()}`;
  await seedTransientFailure(id, new Date(Date.now() - 2 * 3_600_000).toISOString());
  const res = await retry<ErrorBody>(id);
  expect(res.status).toBe(409);
  expect(res.body.error).toMatchObject({ code: 'NotRetryable', message: expect.stringContaining('RETRY_WINDOW') });
  expect((await adminGet(app, id)).request.status).toBe('Failed');
});

test("a transient failure whose guest's mail changed since (another request completed) is not retried: the approval no longer matches the account", async () => {
  const id = `moved-on-${Date.now()}`;
  // The guest's mail reads a newer address than the one this request found and put back.
  const guest = await app.addUser({ displayName: 'Moved on', mail: `${id}.newer@newco.example`, userType: 'Guest' });
  await seedTransientFailure(id, new Date(Date.now() - 60_000).toISOString(), { guestId: guest.id, guestMail: `${id}@partner.example`, previousMail: `${id}@partner.example` });
  const res = await retry<ErrorBody>(id);
  expect(res.status).toBe(409);
  expect(res.body.error).toMatchObject({ code: 'NotRetryable', message: expect.stringContaining("mail changed since") });
  expect((await tenant(app)).users.find((u) => u.id === guest.id)?.mail).toBe(`${id}.newer@newco.example`);
});

test('a retry whose process stopped between storing its attempt and starting its instance is resumed by the next retry: one of two admins starts it, and it completes', async () => {
  const id = `stranded-${Date.now()}`;
  const currentEmail = `${id}@partner.example`;
  const guest = await app.addUser({ displayName: 'Stranded', mail: currentEmail, userType: 'Guest' });
  const twoMinutesAgo = new Date(Date.now() - 120_000).toISOString();
  // What the retry stored before it stopped: Approved as attempt 2, with no instance for it.
  await seedTransientFailure(id, twoMinutesAgo, { status: 'Approved', resetAttempt: 2, result: undefined, guestId: guest.id, currentEmail, guestMail: currentEmail, previousMail: currentEmail });

  const [first, second] = await Promise.all([retry<{ attempt: number; instanceId: string } | ErrorBody>(id), retry<{ attempt: number; instanceId: string } | ErrorBody>(id)]);
  expect([first.status, second.status].sort()).toEqual([202, 409]);
  const accepted = first.status === 202 ? first : second;
  expect(accepted.body).toMatchObject({ attempt: 2, instanceId: `${id}-retry-2` });

  const done = await waitForStatus(app, id, 'Completed', 60_000);
  expect((done.events as AuditEvents).filter((e) => e.type === 'RetryResumed')).toEqual([
    expect.objectContaining({ actor: ADMIN.name, detail: expect.objectContaining({ attempt: 2, objectId: ADMIN.oid }) }),
  ]);
  expect((await tenant(app)).users.find((u) => u.id === guest.id)?.mail).toBe(`${id}@newco.example`);
});

test('a retry that has just stored its attempt is not started twice: an Approved request with a recent attempt is refused', async () => {
  const id = `recent-${Date.now()}`;
  const guest = await app.addUser({ displayName: 'Recent', mail: `${id}@partner.example`, userType: 'Guest' });
  await seedTransientFailure(id, new Date().toISOString(), { status: 'Approved', resetAttempt: 2, result: undefined, guestId: guest.id });
  const res = await retry<ErrorBody>(id);
  expect(res.status).toBe(409);
  expect(res.body.error).toMatchObject({ code: 'NotRetryable', message: expect.stringContaining('only a Failed request can be retried') });
});
