import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { getDependencies } from '../composition.js';
import { exportFromConsole, performConsoleAction, showConsoleAction, showConsoleList, showConsoleRequest } from '../http/adminConsole.js';
import { respondSafely } from '../http/errors.js';
import { ADMIN } from './adminRequests.js';

/**
 * The admin console (DESIGN §4, `GET /api/admin/`): HTML pages for admins signed in with Entra ID
 * through the platform's authentication. Anonymous at the Functions level: the session and the
 * admin role are checked in the handlers. Function names avoid the host's reserved "admin" prefix.
 */

app.http('consoleHome', {
  route: ADMIN,
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  handler: (request, context) => respondSafely(context, 'html', () => showConsoleList(request, context, getDependencies())),
});

app.http('consoleRequest', {
  route: `${ADMIN}/console/requests/{id}`,
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => respondSafely(context, 'html', () => showConsoleRequest(request, context, getDependencies(), df.getClient(context))),
});

app.http('consoleActionConfirm', {
  route: `${ADMIN}/console/requests/{id}/{action}`,
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => respondSafely(context, 'html', () => showConsoleAction(request, context, getDependencies(), df.getClient(context))),
});

app.http('consoleActionPerform', {
  route: `${ADMIN}/console/requests/{id}/{action}`,
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: (request, context) => respondSafely(context, 'html', () => performConsoleAction(request, context, getDependencies(), df.getClient(context))),
});

app.http('consoleExport', {
  route: `${ADMIN}/console/export`,
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  handler: (request, context) => respondSafely(context, 'html', () => exportFromConsole(request, context, getDependencies())),
});
