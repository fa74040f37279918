// Sample ES module v4 app: proves ESM entry points load and register through the same core module.
import { app } from '@azure/functions';

app.http('greet', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'greet/{name:alpha}',
  handler: async (request) => ({ jsonBody: { greeting: `Hi ${request.params.name}` } }),
});
