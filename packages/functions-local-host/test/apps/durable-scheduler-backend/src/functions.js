// Configured, like the azd Durable quickstarts, for the Durable Task Scheduler backend with the
// task hub from an app setting; the local host runs it on Azure Storage instead.
const { app } = require('@azure/functions');
const df = require('durable-functions');

app.http('StartOrchestration', {
  route: 'orchestrators/{name}',
  methods: ['GET', 'POST'],
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const client = df.getClient(context);
    const instanceId = await client.startNew(request.params.name);
    return client.createCheckStatusResponse(request, instanceId);
  },
});

df.app.orchestration('Noop', function* () {
  return 'done';
});
