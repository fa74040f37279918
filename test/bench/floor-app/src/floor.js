// The floor `npm run bench` measures POST /api/requests against (test/bench/requests.bench.ts):
// the same route on the same host and storage, doing nothing but start an orchestration.
const { randomUUID } = require('node:crypto');
const { app } = require('@azure/functions');
const df = require('durable-functions');

df.app.orchestration('FloorOrchestration', function* () {
  return 'started';
});

app.http('floorSubmit', {
  route: 'requests',
  methods: ['POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const requestId = randomUUID();
    await df.getClient(context).startNew('FloorOrchestration', { instanceId: requestId, input: await request.json() });
    return { status: 202, jsonBody: { requestId, status: 'Received' } };
  },
});
