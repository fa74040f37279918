import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { getDependencies } from '../composition.js';
import { reassignApprover, resendApprovalLinks } from '../http/adminApprovers.js';
import { exportAdminRequests } from '../http/adminExport.js';
import { releaseGuestLock } from '../http/adminGuestLocks.js';
import { cancelAdminRequest, getAdminRequest, listAdminRequests } from '../http/adminRequests.js';
import { retryReset } from '../http/adminRetry.js';
import { respondSafely } from '../http/errors.js';

/**
 * The admin API (DESIGN §4, Admin). Anonymous at the Functions level: the bearer JWT is checked
 * in the handlers. The Functions host refuses routes and function names that start with
 * "admin" (its own management API lives there), so the first segment is a constrained
 * parameter that only matches "admin".
 */
export const ADMIN = '{area:regex(^admin$)}';

app.http('listEmailChangeRequests', {
  route: `${ADMIN}/requests`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (request, context) => respondSafely(context, 'json', () => listAdminRequests(request, context, getDependencies())),
});

app.http('exportEmailChangeRequests', {
  route: `${ADMIN}/requests/export`,
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (request, context) => respondSafely(context, 'json', () => exportAdminRequests(request, context, getDependencies())),
});

app.http('getEmailChangeRequest', {
  // Not "export" either: the Functions host tries routes in function-name order, not literal first.
  route: `${ADMIN}/requests/{id:regex(^(?!export$))}`,
  methods: ['GET'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => respondSafely(context, 'json', () => getAdminRequest(request, context, getDependencies(), df.getClient(context))),
});

app.http('cancelEmailChangeRequest', {
  route: `${ADMIN}/requests/{id}/cancel`,
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => respondSafely(context, 'json', () => cancelAdminRequest(request, context, getDependencies(), df.getClient(context))),
});

// The actions below end in a literal segment, so they never compete with `{id}` above.
app.http('resendApprovalLinks', {
  route: `${ADMIN}/requests/{id}/resend`,
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => respondSafely(context, 'json', () => resendApprovalLinks(request, context, getDependencies(), df.getClient(context))),
});

app.http('reassignApprover', {
  route: `${ADMIN}/requests/{id}/reassign`,
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => respondSafely(context, 'json', () => reassignApprover(request, context, getDependencies(), df.getClient(context))),
});

app.http('retryReset', {
  route: `${ADMIN}/requests/{id}/retry`,
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => respondSafely(context, 'json', () => retryReset(request, context, getDependencies(), df.getClient(context))),
});

app.http('releaseGuestLock', {
  route: `${ADMIN}/guests/{guestId}/release-lock`,
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: (request, context) => respondSafely(context, 'json', () => releaseGuestLock(request, context, getDependencies())),
});
