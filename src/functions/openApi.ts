import { app } from '@azure/functions';
import { respondSafely } from '../http/errors.js';
import { openApiDocument } from '../http/openApi.js';
import { jsonResponse } from '../http/security.js';

/** The HTTP contract as OpenAPI 3.1 (DESIGN §4), for anyone: it holds no secret and no data. */
const document = openApiDocument();

app.http('openApiDocument', {
  route: 'openapi.json',
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  handler: (_request, context) => respondSafely(context, 'json', async () => jsonResponse(200, document)),
});
