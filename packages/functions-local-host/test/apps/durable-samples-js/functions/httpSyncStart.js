// Starts an orchestration and holds the request until it finishes (200 with its output) or until
// `timeout` seconds pass (202 with the check-status payload); `retryInterval` is the poll period.
const { app } = require('@azure/functions');
const df = require('durable-functions');

const seconds = (request, name) => {
  const value = request.query.get(name);
  return value ? Number(value) * 1000 : undefined;
};

app.http('httpSyncStart', {
  methods: ['POST'],
  route: 'orchestrators/wait/{orchestratorName}',
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const client = df.getClient(context);
    const input = await request.json();
    const instanceId = await client.startNew(request.params.orchestratorName, { input });
    context.log(`Started orchestration with ID = '${instanceId}'.`);
    return client.waitForCompletionOrCreateCheckStatusResponse(request, instanceId, {
      timeoutInMilliseconds: seconds(request, 'timeout') ?? 30000,
      retryIntervalInMilliseconds: seconds(request, 'retryInterval') ?? 1000,
    });
  },
});
