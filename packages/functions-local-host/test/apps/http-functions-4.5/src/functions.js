// HTTP functions on @azure/functions 4.5.0: a bodiless GET/HEAD must reach the handler, and a
// POST body (with a length or chunked) must still arrive.
const { app } = require('@azure/functions');

app.http('Ping', {
  methods: ['GET', 'HEAD'],
  authLevel: 'anonymous',
  route: 'ping',
  handler: async (request) => ({ body: `pong ${request.method}`, headers: { 'x-library': '4.5.0' } }),
});

app.http('Echo', {
  methods: ['POST', 'DELETE'],
  authLevel: 'anonymous',
  route: 'echo',
  handler: async (request) => ({ jsonBody: { method: request.method, body: await request.text() } }),
});
