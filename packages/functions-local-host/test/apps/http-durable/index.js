// Sample app whose HTTP starter has a durableClient input: proves the host hands the binding over.
const { app } = require('@azure/functions');
const df = require('durable-functions');

df.app.activity('SayHello', { handler: (name) => `Hello, ${name}!` });

df.app.orchestration('Greeter', function* (context) {
  return yield context.df.callActivity('SayHello', context.df.getInput());
});

app.http('startGreeter', {
  methods: ['POST'],
  route: 'greeter/{name}',
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const client = df.getClient(context);
    const instanceId = await client.startNew('Greeter', { input: request.params.name });
    return client.createCheckStatusResponse(request, instanceId);
  },
});
