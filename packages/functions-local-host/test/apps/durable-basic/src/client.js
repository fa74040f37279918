// HTTP functions that drive orchestrations through the real DurableClient (rpcBaseUrl calls).
const { app } = require('@azure/functions');
const df = require('durable-functions');

app.http('StartOrchestration', {
  methods: ['POST'],
  route: 'start/{name}',
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const client = df.getClient(context);
    const body = await request.text();
    const instanceId = await client.startNew(request.params.name, body ? { input: JSON.parse(body) } : undefined);
    return client.createCheckStatusResponse(request, instanceId);
  },
});

app.http('ClientOperation', {
  methods: ['POST'],
  route: 'client/{operation}/{instanceId}',
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const client = df.getClient(context);
    const { operation, instanceId } = request.params;
    const body = await request.text();
    switch (operation) {
      case 'status':
        return { jsonBody: await client.getStatus(instanceId) };
      case 'raise':
        await client.raiseEvent(instanceId, request.query.get('event'), body ? JSON.parse(body) : undefined);
        return { status: 202 };
      case 'terminate':
        await client.terminate(instanceId, request.query.get('reason') ?? 'stopped');
        return { status: 202 };
      case 'suspend':
        await client.suspend(instanceId, 'paused by test');
        return { status: 202 };
      case 'resume':
        await client.resume(instanceId, 'resumed by test');
        return { status: 202 };
      case 'rewind':
        await client.rewind(instanceId, 'fixed by test');
        return { status: 202 };
      case 'purge':
        return { jsonBody: await client.purgeInstanceHistory(instanceId) };
      case 'list':
        return { jsonBody: await client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Completed] }) };
      default:
        return { status: 404 };
    }
  },
});
