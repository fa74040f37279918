import { afterAll, beforeAll, expect, test } from 'vitest';
import { startLocalApp, type LocalApp } from './support/localApp.js';
import { adminGet, approvalLink, decide, signInAs, submit, waitForMail, waitForStatus } from './support/flow.js';

/**
 * Approvers sign in (DESIGN §2 step 6, §4 Approver) through the local host's emulation of the
 * platform's authentication, and are checked again in the directory when they decide.
 */

let app: LocalApp;
beforeAll(async () => {
  app = await startLocalApp();
});
afterAll(async () => {
  await app?.stop();
});

let counter = 0;
/** A guest sponsored by two members, with a request awaiting their approval. */
async function awaitingTwoSponsors(label: string) {
  const n = `${Date.now().toString(36)}${(counter++).toString(36)}`;
  const first = await app.addUser({ displayName: `First ${n}`, mail: `first.${n}@contoso.com`, userType: 'Member' });
  const second = await app.addUser({ displayName: `Second ${n}`, mail: `second.${n}@contoso.com`, userType: 'Member' });
  const guest = await app.addUser({ displayName: `${label} ${n}`, mail: `${label}.${n}@fabrikam.example`, userType: 'Guest', sponsors: [first.id, second.id] });
  const id = await submit(app, { currentEmail: guest.mail, newEmail: `${label}.${n}@northwind.example` });
  const linkOf = async (sponsor: { mail: string }) => approvalLink(await waitForMail(app, (m) => m.to.includes(sponsor.mail), `approval mail to ${sponsor.mail}`));
  await waitForStatus(app, id, 'AwaitingApproval');
  return { id, first, second, firstLink: await linkOf(first), secondLink: await linkOf(second) };
}

const principal = (user: { id: string }, tenantId: string) =>
  Buffer.from(
    JSON.stringify({
      auth_typ: 'aad',
      claims: [
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: user.id },
        { typ: 'http://schemas.microsoft.com/identity/claims/tenantid', val: tenantId },
      ],
    }),
  ).toString('base64');

test('principal headers sent by the client are stripped by the host: the page offers sign-in and a decision is refused', async () => {
  const { id, first, firstLink } = await awaitingTwoSponsors('forged');
  const forged = {
    'X-MS-CLIENT-PRINCIPAL': principal(first, '00000000-0000-0000-0000-000000000001'),
    'X-MS-CLIENT-PRINCIPAL-ID': first.id,
    'X-MS-CLIENT-PRINCIPAL-NAME': first.mail,
    'X-MS-CLIENT-PRINCIPAL-IDP': 'aad',
  };
  const page = await fetch(firstLink, { headers: forged });
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain(`/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(new URL(firstLink).pathname)}`);
  expect(html).not.toContain('name="csrf"');

  const post = await fetch(firstLink, { method: 'POST', headers: { ...forged, 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve&csrf=x' });
  expect(post.status).toBe(401);
  expect(await post.text()).toContain('/.auth/login/aad?post_login_redirect_uri=');
  expect((await adminGet(app, id)).request.status).toBe('AwaitingApproval');
});

test('signed in as the other sponsor: no form, 403 naming the expected approver masked, audited; the right one still approves', async () => {
  const { id, first, second, firstLink } = await awaitingTwoSponsors('someone');
  const asSecond = await signInAs(app.url, { mail: second.mail });
  const page = await fetch(firstLink, { headers: { cookie: asSecond } });
  expect(page.status).toBe(403);
  const html = await page.text();
  expect(html).toContain(`You are signed in as ${second.mail}`);
  expect(html).toContain(`f***@contoso.com`);
  expect(html).not.toContain(first.mail);
  // Only the approver is shown the form, so nobody else holds an anti-forgery value for the link.
  expect(html).not.toMatch(/<form|name="csrf"/);

  const refused = await postDecision(firstLink, asSecond, 'decision=approve&csrf=x');
  expect(refused.status).toBe(403);
  expect(await refused.text()).toContain(`f***@contoso.com`);
  const view = await adminGet(app, id);
  expect(view.request.status).toBe('AwaitingApproval');
  expect(view.events).toContainEqual(expect.objectContaining({ type: 'DecisionRefused', actor: second.mail }));

  expect((await decide(firstLink, 'approve')).status).toBe(200);
  await waitForStatus(app, id, 'Completed');
});

test('an approver disabled after the link was sent: 403, audited, the request waits and the other sponsor approves', async () => {
  const { id, first, second, firstLink, secondLink } = await awaitingTwoSponsors('disabled');
  // Signed in before being disabled: the session outlives the change, the app's own check does not.
  const asFirst = await signInAs(app.url, { mail: first.mail });
  const disable = await fetch(`${app.url}/v1.0/users/${first.id}`, {
    method: 'PATCH',
    headers: { authorization: 'Bearer local-dev-token', 'content-type': 'application/json' },
    body: JSON.stringify({ accountEnabled: false }),
  });
  expect(disable.status).toBe(204);

  const refused = await decide(firstLink, 'approve', '', asFirst);
  expect(refused.status).toBe(403);
  expect(refused.html).toContain('your account is disabled');
  const view = await adminGet(app, id);
  expect(view.request.status).toBe('AwaitingApproval');
  expect(view.events).toContainEqual(expect.objectContaining({ type: 'ApproverNoLongerEligible', actor: first.mail }));

  const approved = await decide(secondLink, 'approve');
  expect(approved.status).toBe(200);
  const done = await waitForStatus(app, id, 'Completed');
  expect(done.request.decision).toMatchObject({ outcome: 'approved', by: second.mail });
});

test('a decision posted from another site is refused before anything is recorded; the same post from the page itself decides', async () => {
  const { id, first, firstLink } = await awaitingTwoSponsors('crosssite');
  const asFirst = await signInAs(app.url, { mail: first.mail });
  const html = await (await fetch(firstLink, { headers: { cookie: asFirst } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  expect(csrf).toBeDefined();
  const body = new URLSearchParams({ decision: 'approve', csrf: csrf! }).toString();

  // An attacker's auto-submitting form, in the approver's signed-in browser, with the approver's own form value.
  const forged = await postDecision(firstLink, asFirst, body, { origin: 'https://attacker.example', 'sec-fetch-site': 'cross-site' });
  expect(forged.status).toBe(403);
  expect(await forged.text()).toContain('not sent from the approval page');
  const view = await adminGet(app, id);
  expect(view.request.status).toBe('AwaitingApproval');
  expect(view.events.map((e) => e.type).filter((type) => type.startsWith('Decision'))).toEqual([]);

  // What a browser sends from the page itself, whose Referrer-Policy is no-referrer.
  const own = await postDecision(firstLink, asFirst, body, { origin: 'null', 'sec-fetch-site': 'same-origin' });
  expect(own.status).toBe(200);
  await waitForStatus(app, id, 'Completed');
});

function postDecision(link: string, cookie: string, body: string, headers: Record<string, string> = {}) {
  return fetch(link, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
}
