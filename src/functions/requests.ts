import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { getDependencies } from '../composition.js';
import { respondSafely } from '../http/errors.js';
import { responseFormatFor } from '../http/negotiation.js';
import { showRequestForm, showRequestReceived, submitRequest } from '../http/submitRequest.js';

/** The public request form and its submission (DESIGN §4, Public). */

app.http('showRequestForm', {
  route: 'requests/new',
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  handler: (request) => showRequestForm(request),
});

app.http('showRequestReceived', {
  route: 'requests/received',
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  handler: (_request, context) => respondSafely(context, 'html', async () => showRequestReceived(getDependencies().settings)),
});

app.http('submitRequest', {
  route: 'requests',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  // Inside respondSafely: building the dependencies validates the settings, and a bad
  // configuration must answer like any failure (logged, a generic 500), not the host's bare 500.
  handler: (request, context) =>
    respondSafely(context, responseFormatFor(request), () => submitRequest(request, context, getDependencies(), df.getClient(context))),
});
