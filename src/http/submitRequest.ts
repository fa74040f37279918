import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import type { Settings } from '../config/settings.js';
import type { EmailChangeSubmission, RequestSource } from '../domain/request.js';
import { domainPolicyOf } from '../domain/emailPolicy.js';
import { validateSubmission } from '../domain/validation.js';
import { formatTimestamp } from '../templates/format.js';
import { requestFormPage, requestReceivedPage } from '../templates/pages.js';
import { ORCHESTRATOR_NAME, WORKFLOW_VERSION, type EmailChangeOrchestrationInput } from '../workflow/contract.js';
import { readBody } from './body.js';
import { clientAddressOf, rateLimitSourceOf } from './clientAddress.js';
import { ensureAdminDigestLoop } from './ensureAdminDigestLoop.js';
import type { HttpDependencies, OrchestrationClient } from './dependencies.js';
import { HttpError, respondSafely } from './errors.js';
import { responseFormatFor } from './negotiation.js';
import { jsonResponse, pageResponse, seeOtherResponse } from './security.js';

/** Long enough for any real browser's User-Agent; the rest is noise an attacker controls. */
const MAX_USER_AGENT_LENGTH = 512;

/** `GET /api/requests/new`: the empty request form. */
export function showRequestForm(request: HttpRequest): HttpResponse {
  return pageResponse(200, requestFormPage({ action: submitPathFor(request) }));
}

/** `GET /api/requests/received`: where a successful form post sends the browser (303). */
export function showRequestReceived(settings: Pick<Settings, 'REQUIRE_NEW_EMAIL_CONFIRMATION'>): HttpResponse {
  return pageResponse(200, requestReceivedPage({ confirmationRequired: settings.REQUIRE_NEW_EMAIL_CONFIRMATION }));
}

/**
 * `POST /api/requests`: validates, applies the abuse limits and starts the orchestration. The
 * answer never depends on whether a guest with that email exists: nothing here asks the
 * directory, so the form cannot be used to enumerate guests.
 */
export function submitRequest(
  request: HttpRequest,
  context: InvocationContext,
  deps: HttpDependencies,
  client: OrchestrationClient,
): Promise<HttpResponse> {
  const format = responseFormatFor(request);
  return respondSafely(context, format, async () => {
    const { fields } = await readBody(request);
    const validation = validateSubmission(fields, domainPolicyOf(deps.settings));
    if (!validation.ok) {
      if (format === 'html') {
        const page = requestFormPage({ values: textFields(fields), errors: validation.errors, action: submitPathFor(request) });
        return pageResponse(400, page);
      }
      throw new HttpError('ValidationFailed', 'Some fields are missing or invalid.', { details: validation.errors });
    }

    const now = deps.clock();
    const source = sourceOf(request);
    const retryAfterSeconds = await overRateLimit(deps, source, validation.value, now);
    if (retryAfterSeconds !== undefined) {
      const message = `Too many requests. Try again in ${describeSeconds(retryAfterSeconds)}, after ${formatTimestamp(new Date(now.getTime() + retryAfterSeconds * 1000).toISOString())}.`;
      const headers = { 'Retry-After': String(retryAfterSeconds) };
      if (format === 'json') throw new HttpError('RateLimited', message, { headers });
      // The form again, as sent: nothing typed is lost while the requester waits.
      return pageResponse(429, requestFormPage({ values: textFields(fields), problem: message, action: submitPathFor(request) }), headers);
    }

    const requestId = randomUUID();
    const input: EmailChangeOrchestrationInput = { requestId, submission: validation.value, source, submittedAt: now.toISOString(), workflowVersion: WORKFLOW_VERSION };
    await client.startNew(ORCHESTRATOR_NAME, { instanceId: requestId, input });
    await ensureAdminDigestLoop(client, deps.settings, context);
    return format === 'json' ? jsonResponse(202, { requestId, status: 'Received' }) : seeOtherResponse(`${submitPathFor(request)}/received`);
  });
}

/**
 * One source may not flood the form, and one address may not be flooded with "a change was
 * requested" mail: the source and both emails each have their own budget per window, and a
 * submission refused by one budget counts against none. Answers how many seconds to wait when
 * one is spent.
 */
async function overRateLimit(deps: HttpDependencies, source: RequestSource, submission: EmailChangeSubmission, now: Date): Promise<number | undefined> {
  const { RATE_LIMIT_PER_SOURCE, RATE_LIMIT_PER_TARGET, RATE_LIMIT_WINDOW } = deps.settings;
  const budgets = [
    { key: `source:${rateLimitSourceOf(source.ip)}`, limit: RATE_LIMIT_PER_SOURCE },
    { key: `target:${submission.currentEmail}`, limit: RATE_LIMIT_PER_TARGET },
    { key: `target:${submission.newEmail}`, limit: RATE_LIMIT_PER_TARGET },
  ];
  const { allowed, retryAfterSeconds } = await deps.rateLimiter.hit(budgets, RATE_LIMIT_WINDOW, now);
  return allowed ? undefined : retryAfterSeconds;
}

function describeSeconds(seconds: number): string {
  if (seconds < 120) return `${seconds} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

function sourceOf(request: HttpRequest): RequestSource {
  const source: RequestSource = {};
  const ip = clientAddressOf(request);
  const userAgent = request.headers.get('user-agent')?.slice(0, MAX_USER_AGENT_LENGTH);
  if (ip) source.ip = ip;
  if (userAgent) source.userAgent = userAgent;
  return source;
}

/** The form posts to the collection the form page sits under, whatever the route prefix. */
function submitPathFor(request: HttpRequest): string {
  return new URL(request.url).pathname.replace(/\/new\/?$|\/$/, '');
}

/** The submitted values to show again in the form; anything not text is dropped. */
function textFields(fields: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
