import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLocalApp, type LocalApp } from './support/localApp.js';
import { guestWithSponsor, submit, waitForStatus, type RequestView } from './support/flow.js';

let app: LocalApp;
beforeAll(async () => {
  // One window for the whole file: an hour boundary between two posts must not reset the count.
  app = await startLocalApp({ env: { RATE_LIMIT_PER_TARGET: '2', RATE_LIMIT_PER_SOURCE: '1000', RATE_LIMIT_WINDOW: 'P3650D' } });
});
afterAll(async () => {
  await app?.stop();
});

const post = (body: string, contentType: string, accept = 'application/json') =>
  fetch(`${app.url}/api/requests`, { method: 'POST', headers: { 'content-type': contentType, accept }, body, redirect: 'manual' });
const postForm = (fields: Record<string, string>) => post(new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded', 'text/html');

describe('public form', () => {
  test('GET /api/requests/new is an HTML form with a strict CSP', async () => {
    const res = await fetch(`${app.url}/api/requests/new`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await res.text();
    for (const field of ['currentEmail', 'newEmail', 'reason', 'reasonDetail']) expect(html).toContain(`name="${field}"`);
  });

  test('HEAD answers wherever GET does: the same status and headers, no body', async () => {
    for (const route of ['/api/requests/new', '/api/requests/received']) {
      const [get, head] = await Promise.all(['GET', 'HEAD'].map((method) => fetch(`${app.url}${route}`, { method })));
      expect([route, head.status]).toEqual([route, 200]);
      expect(get.status).toBe(200);
      const headers = (res: Response) => [...res.headers.entries()].filter(([name]) => !['date', 'content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(name));
      expect(headers(head)).toEqual(headers(get));
      expect(await head.text()).toBe('');
    }
    const fake = `00000000-0000-4000-8000-000000000000.${'A'.repeat(43)}`;
    const unknownLink = await fetch(`${app.url}/api/approvals/${fake}`, { method: 'HEAD' });
    expect(unknownLink.status).toBe(404);
    expect(unknownLink.headers.get('content-type')).toMatch(/text\/html/);
  });

  test('invalid JSON fields give 400 with per-field errors', async () => {
    const res = await app.json<{ error: { code: string; details: Record<string, string> } }>('POST', '/api/requests', {
      currentEmail: 'not-an-email',
      newEmail: 'a+b@example.com',
      reason: 'Other',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBeTruthy();
    expect(Object.keys(res.body.error.details)).toEqual(expect.arrayContaining(['currentEmail', 'newEmail', 'reasonDetail']));
  });

  test('an invalid form post re-renders the form with messages and keeps the values', async () => {
    const res = await post(new URLSearchParams({ currentEmail: 'kept@fabrikam.example', newEmail: 'bad', reason: 'MovedCompany' }).toString(), 'application/x-www-form-urlencoded', 'text/html');
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('kept@fabrikam.example');
    expect(html).toMatch(/<form/);
    expect(html).toMatch(/<title>Error: /);
    expect(html).toContain('<li><a href="#newEmail">');
  });

  test('a valid form post answers 303 to the "request received" page, which carries nothing personal', async () => {
    const currentEmail = `x.${Date.now()}@fabrikam.example`;
    const res = await postForm({ currentEmail, newEmail: `y.${Date.now()}@northwind.example`, reason: 'MovedCompany' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/api/requests/received');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const landing = await fetch(new URL(res.headers.get('location')!, app.url));
    expect(landing.status).toBe(200);
    expect(landing.headers.get('content-type')).toMatch(/text\/html/);
    expect(landing.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await landing.text();
    expect(html).toContain('Check the inbox of your new email address');
    expect(html).not.toContain(currentEmail);
  });

  test('JSON stays 202 {requestId, status: "Received"}, even for a form post that asks for JSON', async () => {
    const fields = { currentEmail: `j.${Date.now()}@fabrikam.example`, newEmail: `k.${Date.now()}@northwind.example`, reason: 'MovedCompany' };
    const asJson = await app.json<{ requestId: string; status: string }>('POST', '/api/requests', fields);
    expect(asJson.status).toBe(202);
    expect(asJson.body).toEqual({ requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'Received' });
    const formAskingJson = await post(new URLSearchParams({ ...fields, newEmail: `l.${Date.now()}@northwind.example` }).toString(), 'application/x-www-form-urlencoded');
    expect(formAskingJson.status).toBe(202);
  });

  test('over 16 KiB is 413', async () => {
    const res = await post(JSON.stringify({ currentEmail: 'a@b.example', newEmail: 'c@d.example', reason: 'Other', reasonDetail: 'x'.repeat(17 * 1024) }), 'application/json');
    expect(res.status).toBe(413);
  });

  test('other content types are 415', async () => {
    expect((await post('currentEmail=a', 'text/plain')).status).toBe(415);
  });

  test('malformed JSON is 400', async () => {
    expect((await post('{"currentEmail":', 'application/json')).status).toBe(400);
  });

  test('a target email over its rate limit gets 429 with Retry-After', async () => {
    const target = `limited.${Date.now()}@fabrikam.example`;
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 3; i++) {
      const res = await app.json('POST', '/api/requests', { currentEmail: target, newEmail: `n${i}.${Date.now()}@northwind.example`, reason: 'MovedCompany' });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses).toEqual([202, 202, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  test('from the form, 429 re-renders the form with the values kept, when to try again, and Retry-After', async () => {
    const target = `limited.form.${Date.now()}@fabrikam.example`;
    for (let i = 0; i < 2; i++) expect((await app.json('POST', '/api/requests', { currentEmail: target, newEmail: `f${i}.${Date.now()}@northwind.example`, reason: 'MovedCompany' })).status).toBe(202);
    const res = await postForm({ currentEmail: target, newEmail: 'kept.new@northwind.example', reason: 'Other', reasonDetail: 'Kept detail' });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<title>Error: /);
    expect(html).toMatch(/<form method="post"/);
    expect(html).toContain(`value="${target}"`);
    expect(html).toContain('value="kept.new@northwind.example"');
    expect(html).toContain('<option value="Other" selected>');
    expect(html).toContain('>Kept detail</textarea>');
    expect(html).toMatch(/Too many requests\. Try again in \d+ (seconds|minutes), after [^<]+ UTC\./);
  });
});

describe('approval links', () => {
  test('an unknown or tampered token is a 404 page', async () => {
    const fake = `00000000-0000-4000-8000-000000000000.${'A'.repeat(43)}`;
    for (const token of [fake, 'garbage', 'a.b']) {
      const res = await fetch(`${app.url}/api/approvals/${token}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
    }
    const post = await fetch(`${app.url}/api/approvals/${fake}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve&csrf=x' });
    expect(post.status).toBe(404);
  });
});

describe('admin API', () => {
  test('no token is 401 with WWW-Authenticate: Bearer; a bad token is 401', async () => {
    const none = await app.json<{ error: { code: string } }>('GET', '/api/admin/requests');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const bad = await app.json('GET', '/api/admin/requests', undefined, { authorization: 'Bearer not.a.jwt' });
    expect(bad.status).toBe(401);
  });

  test('a token without the admin role is 403', async () => {
    const token = await app.adminToken(['Some.Other.Role']);
    const res = await app.json('GET', '/api/admin/requests', undefined, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(403);
  });

  test('unknown request id is 404', async () => {
    const token = await app.adminToken();
    const res = await app.json<{ error: { code: string } }>('GET', '/api/admin/requests/00000000-0000-4000-8000-000000000000', undefined, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBeTruthy();
  });

  test('the list is newest first, filters by status, email and guest id, and pages with continuation tokens', async () => {
    const { guest } = await guestWithSponsor(app, 'listed');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await submit(app, { currentEmail: `nobody${i}.${Date.now()}@fabrikam.example`, newEmail: `z${i}.${Date.now()}@northwind.example` }));
    const mine = await submit(app, { currentEmail: guest.mail, newEmail: `listed.${Date.now()}@northwind.example` });
    await waitForStatus(app, mine, 'AwaitingApproval');
    for (const id of ids) await waitForStatus(app, id, 'Declined');

    const token = await app.adminToken();
    const auth = { authorization: `Bearer ${token}` };
    const all = await app.json<{ items: RequestView[]; continuationToken?: string | null }>('GET', '/api/admin/requests?top=200', undefined, auth);
    expect(all.status).toBe(200);
    const times = all.body.items.map((i) => i.submittedAt);
    expect([...times].sort().reverse()).toEqual(times);

    const byEmail = await app.json<{ items: RequestView[] }>('GET', `/api/admin/requests?email=${encodeURIComponent(guest.mail)}`, undefined, auth);
    expect(byEmail.body.items.map((i) => i.id)).toEqual([mine]);
    const byGuest = await app.json<{ items: RequestView[] }>('GET', `/api/admin/requests?guestId=${guest.id}`, undefined, auth);
    expect(byGuest.body.items.map((i) => i.id)).toEqual([mine]);
    const declined = await app.json<{ items: RequestView[] }>('GET', '/api/admin/requests?status=Declined&top=200', undefined, auth);
    expect(declined.body.items.every((i) => i.status === 'Declined')).toBe(true);
    expect(declined.body.items.map((i) => i.id)).toEqual(expect.arrayContaining(ids));

    const seen: string[] = [];
    let continuation: string | undefined | null;
    do {
      const qs = new URLSearchParams({ top: '2', ...(continuation ? { continuationToken: continuation } : {}) });
      const page = await app.json<{ items: RequestView[]; continuationToken?: string | null }>('GET', `/api/admin/requests?${qs}`, undefined, auth);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((i) => i.id));
      continuation = page.body.continuationToken;
    } while (continuation);
    expect(seen).toEqual(all.body.items.map((i) => i.id));

    const badQuery = await app.json('GET', '/api/admin/requests?status=Nonsense', undefined, auth);
    expect(badQuery.status).toBe(400);
  });
});
