import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { getDependencies } from '../composition.js';
import { decideApproval, showApproval } from '../http/approvals.js';
import { respondSafely } from '../http/errors.js';

/** The approver's confirmation page and its decision post (DESIGN §4, Approver). */

app.http('showApproval', {
  route: 'approvals/{token}',
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  // The page raises again a decision accepted earlier that the instance may not have received.
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => respondSafely(context, 'html', () => showApproval(request, context, getDependencies(), df.getClient(context))),
});

app.http('decideApproval', {
  route: 'approvals/{token}',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => respondSafely(context, 'html', () => decideApproval(request, context, getDependencies(), df.getClient(context))),
});
