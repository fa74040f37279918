import type { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import {
  CONSOLE_EXPORT_PATH,
  CONSOLE_HOME,
  consoleActionPath,
  consoleConfirmPage,
  consoleListPage,
  consoleRequestPath,
  consoleRequestPage,
  withQuery,
  type ConfirmPageInput,
} from '../templates/consolePages.js';
import { messagePage } from '../templates/pages.js';
import { csvExportResponse } from './adminExport.js';
import { findRequest, listMatching } from './adminRequests.js';
import { readBody } from './body.js';
import { consoleActionNamed, CONSOLE_ACTIONS, type ConsoleAction, type ConsoleActionTarget } from './consoleActions.js';
import { consoleCounts } from './consoleCounts.js';
import { apiListQuery, consoleFilters } from './consoleFilters.js';
import { consoleFormValue, isConsoleFormValue } from './consoleForms.js';
import { consoleAdminOf, type ConsoleAdmin } from './consoleSession.js';
import type { HttpDependencies, OrchestrationClient } from './dependencies.js';
import { HttpError, respondSafely, type FieldMessages } from './errors.js';
import { requireOwnOrigin } from './ownOrigin.js';
import { pageResponse, seeOtherResponse } from './security.js';

/**
 * The admin console (DESIGN §4, `GET /api/admin/`): server-rendered pages over the same store,
 * query parsing, export and actions as the admin API, for an admin signed in with Entra ID
 * (`consoleSession.ts`). Pages only read; every action is a POST from its confirmation step.
 */

/** `GET|HEAD /api/admin/`: the figures, the search form and one page of matching requests. */
export function showConsoleList(request: HttpRequest, context: InvocationContext, deps: HttpDependencies): Promise<HttpResponse> {
  return respondSafely(context, 'html', async () => {
    const signedIn = consoleAdminOf(request, deps);
    if ('refusal' in signedIn) return signedIn.refusal;
    const form = request.query;
    const figures = await consoleCounts(deps.store, deps.clock());
    const filters = consoleFilters(form);
    const exportHref = withQuery(CONSOLE_EXPORT_PATH, filters);
    try {
      const page = await listMatching(deps.store, apiListQuery(form, { paging: true }));
      const next = page.continuationToken && new URLSearchParams([...filters, ['continuationToken', page.continuationToken]]);
      return pageResponse(
        200,
        consoleListPage({ signedInAs: signedIn.admin.name, figures, form, items: page.items, exportHref, ...(next ? { nextPage: withQuery(CONSOLE_HOME, next) } : {}) }),
      );
    } catch (error) {
      if (!(error instanceof HttpError && error.code === 'InvalidQuery')) throw error;
      const problems = error.details as FieldMessages;
      return pageResponse(400, consoleListPage({ signedInAs: signedIn.admin.name, figures, form, items: [], problems, exportHref }));
    }
  });
}

/** `GET|HEAD /api/admin/console/requests/{id}`: the request, its workflow, its timeline and the actions that apply. */
export function showConsoleRequest(request: HttpRequest, context: InvocationContext, deps: HttpDependencies, client: OrchestrationClient): Promise<HttpResponse> {
  return respondSafely(context, 'html', async () => {
    const signedIn = consoleAdminOf(request, deps);
    if ('refusal' in signedIn) return signedIn.refusal;
    const target = await findTarget(deps, client, request.params.id);
    const { emailChange, recorded, orchestration } = target.found;
    const events = recorded ? await deps.store.listEvents(emailChange.id) : [];
    const actions = CONSOLE_ACTIONS.map((action) => {
      const unavailable = action.unavailable(target, deps);
      return { label: action.label, href: consoleActionPath(emailChange.id, action.name), ...(unavailable ? { unavailable } : {}) };
    });
    const notice = consoleActionNamed(request.query.get('done') ?? undefined)?.done;
    const workflow = orchestration && {
      runtimeStatus: orchestration.runtimeStatus,
      customStatus: orchestration.customStatus ?? null,
      createdTime: orchestration.createdTime.toISOString(),
      lastUpdatedTime: orchestration.lastUpdatedTime.toISOString(),
    };
    return pageResponse(200, consoleRequestPage({ signedInAs: signedIn.admin.name, request: emailChange, events, orchestration: workflow, actions, ...(notice ? { notice } : {}) }));
  });
}

/** `GET|HEAD /api/admin/console/requests/{id}/{action}`: the confirmation step; changes nothing. */
export function showConsoleAction(request: HttpRequest, context: InvocationContext, deps: HttpDependencies, client: OrchestrationClient): Promise<HttpResponse> {
  return respondSafely(context, 'html', async () => {
    const signedIn = consoleAdminOf(request, deps);
    if ('refusal' in signedIn) return signedIn.refusal;
    const action = requireAction(request.params.action);
    const target = await findTarget(deps, client, request.params.id);
    return notNow(action, target, deps) ?? confirmation(200, deps, signedIn.admin, action, target, {}, {});
  });
}

/**
 * `POST /api/admin/console/requests/{id}/{action}`: runs the action confirmed on its page, then
 * back to the request (303) saying what was done. Refused before anything is read when it does
 * not come from our own page, without a signed-in admin, or without the form's anti-forgery value.
 */
export function performConsoleAction(request: HttpRequest, context: InvocationContext, deps: HttpDependencies, client: OrchestrationClient): Promise<HttpResponse> {
  return respondSafely(context, 'html', async () => {
    requireOwnOrigin(request, deps.settings.PUBLIC_BASE_URL, {
      title: 'Not sent from the console',
      message: 'This action was not sent from the admin console, so nothing was done. Open the request in the console and confirm the action there.',
    });
    const signedIn = consoleAdminOf(request, deps);
    if ('refusal' in signedIn) return signedIn.refusal;
    const action = requireAction(request.params.action);
    const id = request.params.id ?? '';
    const { fields } = await readBody(request);
    if (!isConsoleFormValue(deps.settings.APPROVAL_FORM_SECRET, signedIn.admin, id, action.name, fields.csrf)) {
      throw new HttpError('Forbidden', 'This form could not be verified. Open the request in the console again and confirm from there.', { title: 'Form expired or not genuine' });
    }
    const target = await findTarget(deps, client, id);
    const values: Record<string, string> = {};
    const errors: Record<string, string> = {};
    for (const field of action.fields) {
      try {
        values[field.name] = field.read(fields[field.name]);
      } catch (error) {
        if (!(error instanceof HttpError && error.code === 'ValidationFailed')) throw error;
        errors[field.name] = ((error.details as FieldMessages | undefined) ?? {})[field.name] ?? error.message;
      }
    }
    const posted = Object.fromEntries(action.fields.map((field) => [field.name, typeof fields[field.name] === 'string' ? (fields[field.name] as string) : '']));
    if (Object.keys(errors).length > 0) return confirmation(400, deps, signedIn.admin, action, target, posted, errors);
    // No check of `unavailable` first: the action refuses (and audits, as its API route does) what no longer applies.
    try {
      await action.perform({ deps, client, admin: signedIn.admin, target, values });
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      // A field the action found wrong only once it looked (an approver who may not approve): asked again, as typed.
      const fieldErrors = Object.entries((error.code === 'ValidationFailed' && (error.details as FieldMessages | undefined)) || {}).filter(([name]) => name in posted);
      if (fieldErrors.length > 0) return confirmation(400, deps, signedIn.admin, action, target, posted, Object.fromEntries(fieldErrors));
      return pageResponse(error.status, messagePage({ title: `${action.label}: not done`, message: error.message }));
    }
    return seeOtherResponse(`${consoleRequestPath(target.found.emailChange.id)}?done=${encodeURIComponent(action.name)}`);
  });
}

/** `GET|HEAD /api/admin/console/export`: the CSV of the console's current filters, as the admin API exports it. */
export function exportFromConsole(request: HttpRequest, context: InvocationContext, deps: HttpDependencies): Promise<HttpResponse> {
  return respondSafely(context, 'html', async () => {
    const signedIn = consoleAdminOf(request, deps);
    if ('refusal' in signedIn) return signedIn.refusal;
    return csvExportResponse(apiListQuery(request.query, { paging: false }), deps);
  });
}

function requireAction(name: string | undefined): ConsoleAction {
  const action = consoleActionNamed(name);
  if (!action) throw new HttpError('NotFound', 'The console has no such action.', { title: 'No such action' });
  return action;
}

async function findTarget(deps: HttpDependencies, client: OrchestrationClient, id: string | undefined): Promise<ConsoleActionTarget> {
  const found = await findRequest(deps, client, id);
  const lock = found.emailChange.guestId ? await deps.store.getGuestLock(found.emailChange.guestId) : undefined;
  return { found, lock };
}

/** A 409 page instead of the confirmation step when the action does not apply to the request as it stands. */
function notNow(action: ConsoleAction, target: ConsoleActionTarget, deps: HttpDependencies): HttpResponse | undefined {
  const why = action.unavailable(target, deps);
  return why ? pageResponse(409, messagePage({ title: `${action.label}: not possible now`, message: why })) : undefined;
}

function confirmation(
  status: number,
  deps: HttpDependencies,
  admin: ConsoleAdmin,
  action: ConsoleAction,
  target: ConsoleActionTarget,
  values: Record<string, string>,
  errors: Record<string, string>,
): HttpResponse {
  const request = target.found.emailChange;
  const page: ConfirmPageInput = {
    signedInAs: admin.name,
    request,
    title: action.label,
    consequence: action.consequence(target),
    fields: action.fields.map((field) => ({ ...field, value: values[field.name] ?? '', ...(errors[field.name] ? { error: errors[field.name] } : {}) })),
    action: consoleActionPath(request.id, action.name),
    csrf: consoleFormValue(deps.settings.APPROVAL_FORM_SECRET, admin, request.id, action.name),
  };
  return pageResponse(status, consoleConfirmPage(page));
}
