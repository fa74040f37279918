// Starts the orchestration named in the route with the JSON request body as its input and answers
// with the check-status payload (202 and its management links).
const { app } = require('@azure/functions');
const df = require('durable-functions');

app.http('httpStart', {
  route: 'orchestrators/{orchestratorName}',
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const client = df.getClient(context);
    const input = await request.json();
    const instanceId = await client.startNew(request.params.orchestratorName, { input });
    context.log(`Started orchestration with ID = '${instanceId}'.`);
    return client.createCheckStatusResponse(request, instanceId);
  },
});
