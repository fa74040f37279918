import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { getDependencies } from '../composition.js';
import { showRequestForm, submitRequest } from '../http/submitRequest.js';

/** The public request form and its submission (DESIGN §4, Public). */

app.http('showRequestForm', {
  route: 'requests/new',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: (request) => showRequestForm(request),
});

app.http('submitRequest', {
  route: 'requests',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => submitRequest(request, context, getDependencies(), df.getClient(context)),
});
