import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { getDependencies } from '../composition.js';
import { confirmRequest, showConfirmation } from '../http/confirmations.js';
import { respondSafely } from '../http/errors.js';
import { reportRequest, showReport } from '../http/reports.js';
import { cancelFromTracking, showTracking } from '../http/tracking.js';

/**
 * The links mailed to the requester and to the owner of the current address (DESIGN §4, Public):
 * the new address's confirmation, the tracking page, and "this wasn't me". Each GET shows a page
 * and changes nothing; the action is its page's POST.
 */

app.http('showConfirmation', {
  route: 'confirmations/{token}',
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  // Opened again, the page passes on a confirmation the instance may not have received.
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => respondSafely(context, 'html', () => showConfirmation(request, context, getDependencies(), df.getClient(context))),
});

app.http('confirmRequest', {
  route: 'confirmations/{token}',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => respondSafely(context, 'html', () => confirmRequest(request, context, getDependencies(), df.getClient(context))),
});

app.http('showTracking', {
  route: 'track/{token}',
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  handler: (request, context) => respondSafely(context, 'html', () => showTracking(request, context, getDependencies())),
});

app.http('cancelFromTracking', {
  route: 'track/{token}',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => respondSafely(context, 'html', () => cancelFromTracking(request, context, getDependencies(), df.getClient(context))),
});

app.http('showReport', {
  route: 'reports/{token}',
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  handler: (request, context) => respondSafely(context, 'html', () => showReport(request, context, getDependencies())),
});

app.http('reportRequest', {
  route: 'reports/{token}',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => respondSafely(context, 'html', () => reportRequest(request, context, getDependencies(), df.getClient(context))),
});
