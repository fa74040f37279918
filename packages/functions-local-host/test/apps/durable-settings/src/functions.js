// A Durable app whose task hub and storage connection come from app settings (host.json
// `%SETTINGS_TEST_HUB%` and `storageProvider.connectionName`).
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

df.app.activity('Hello', { handler: (name) => `Hello ${name}` });

df.app.orchestration('Greet', function* (context) {
  return yield context.df.callActivity('Hello', context.df.getInput());
});
