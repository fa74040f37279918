import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { startLocalApp, type LocalApp } from './support/localApp.js';
import { approvalLink, decide, graphCalls, guestWithSponsor, submit, waitForMail, waitForStatus } from './support/flow.js';

/**
 * What one request costs in Microsoft Graph calls, mail aside (issue 12): the full flow on the
 * local app, counted by route from the emulator's call log. The happy path (a sponsor approves)
 * stays within 6 non-mail calls and never reads the manager; the manager tier is still read, at
 * screening and when the manager decides, when no sponsor may approve.
 */

let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp({ env: { RATE_LIMIT_PER_SOURCE: '1000' } });
});
afterAll(async () => {
  await app?.stop();
});
beforeEach(async () => {
  expect((await app.json('DELETE', '/_dev/graph/calls')).status).toBe(204);
});

const stamp = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

/** Non-mail calls, by route with object ids and addresses as `{id}`. */
async function callsByRoute(): Promise<{ byRoute: Record<string, number>; paths: string[] }> {
  const calls = (await graphCalls(app)).filter((c) => !c.path.endsWith('/sendMail'));
  const byRoute: Record<string, number> = {};
  for (const call of calls) {
    const route = `${call.method} ${call.path.replace(/^\/v1\.0/, '').replace(/\/[^/]*(@|[0-9a-f]{8}-[0-9a-f]{4}-)[^/]*/g, '/{id}')}`;
    byRoute[route] = (byRoute[route] ?? 0) + 1;
  }
  return { byRoute, paths: calls.map((c) => `${c.method} ${c.path}`) };
}

async function approveAndComplete(approverMail: string, requestId: string) {
  const link = approvalLink(await waitForMail(app, (m) => m.to.includes(approverMail) && m.links.some((l) => l.includes(`/api/approvals/${requestId}.`)), 'approval mail'));
  await waitForStatus(app, requestId, 'AwaitingApproval');
  expect((await decide(link, 'approve')).status).toBe(200);
  await waitForStatus(app, requestId, 'Completed');
}

test('a sponsor approves: at most 6 non-mail Graph calls, no manager lookup, no second read of anyone', async () => {
  const { guest, sponsor } = await guestWithSponsor(app, 'lean');
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `lean.${stamp()}@northwind.example` });
  await approveAndComplete(sponsor.mail, id);

  const { byRoute, paths } = await callsByRoute();
  expect(byRoute).toEqual({
    'GET /users': 1, // screening: the guest and its roles
    'GET /users/{id}/sponsors': 1, // screening: the approvers
    'GET /users/{id}': 2, // decision: the guest with its sponsors; reset: the guest with its roles
    'PATCH /users/{id}': 1,
    'POST /invitations': 1,
  });
  expect(Object.values(byRoute).reduce((sum, n) => sum + n, 0)).toBeLessThanOrEqual(6);
  expect(paths).not.toContain(`GET /v1.0/users/${sponsor.id}`);
});

test('no eligible sponsor: the manager is read at screening and again when they decide, and their approval completes', async () => {
  const outsider = await app.addUser({ displayName: 'Outside sponsor', mail: `outsider.${stamp()}@partner.example`, userType: 'Guest' });
  const manager = await app.addUser({ displayName: 'Manager', mail: `manager.${stamp()}@contoso.com`, userType: 'Member' });
  const guest = await app.addUser({ displayName: 'Managed', mail: `managed.${stamp()}@fabrikam.example`, userType: 'Guest', sponsors: [outsider.id], manager: manager.id });
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `managed.${stamp()}@northwind.example` });
  await approveAndComplete(manager.mail, id);

  const { byRoute, paths } = await callsByRoute();
  expect(byRoute).toEqual({
    'GET /users': 1,
    'GET /users/{id}/sponsors': 1,
    'GET /users/{id}/manager': 2, // screening, and the decision: the approver is not an eligible sponsor
    'GET /users/{id}': 2,
    'PATCH /users/{id}': 1,
    'POST /invitations': 1,
  });
  // The manager's state comes with the manager lookup, not from a read of its own.
  expect(paths).not.toContain(`GET /v1.0/users/${manager.id}`);
});
