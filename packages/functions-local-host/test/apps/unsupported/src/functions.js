// An app that registers what the local host does not run, beside what it does: the host must say
// so at load and fail whatever uses it at run time, never drop it silently.
const { app, input, output } = require('@azure/functions');
const df = require('durable-functions');

// Triggers the host never fires.
app.timer('cleanup', { schedule: '0 */5 * * * *', handler: async () => undefined });
app.storageQueue('onJob', { queueName: 'jobs', connection: 'AzureWebJobsStorage', handler: async () => undefined });
df.app.entity('counter', (context) => {
  context.df.setState((context.df.getState(() => 0) ?? 0) + 1);
});

// Bindings the host neither writes nor provides.
const reportBlob = output.storageBlob({ path: 'reports/{rand-guid}.json', connection: 'AzureWebJobsStorage' });
const configBlob = input.storageBlob({ path: 'config/settings.json', connection: 'AzureWebJobsStorage' });

df.app.activity('saveReport', {
  extraOutputs: [reportBlob],
  handler: (report, context) => {
    context.extraOutputs.set(reportBlob, report);
    return 'saved';
  },
});

/** Has the output but does not set it: nothing is lost, so it runs. */
df.app.activity('skipReport', {
  extraOutputs: [output.storageBlob({ path: 'skipped/{rand-guid}.json', connection: 'AzureWebJobsStorage' })],
  handler: () => 'skipped',
});

/** Reads an input the host cannot provide, and even swallows the error. */
df.app.activity('readConfig', {
  extraInputs: [configBlob],
  handler: (_input, context) => {
    try {
      return context.extraInputs.get(configBlob) ?? 'no config';
    } catch {
      return 'no config';
    }
  },
});

df.app.orchestration('SaveReport', function* (context) {
  return yield context.df.callActivity('saveReport', { total: 3 });
});

df.app.orchestration('SkipReport', function* (context) {
  return yield context.df.callActivity('skipReport');
});

df.app.orchestration('ReadConfig', function* (context) {
  return yield context.df.callActivity('readConfig');
});

df.app.orchestration('CallsEntity', function* (context) {
  return yield context.df.callEntity(new df.EntityId('counter', 'visits'), 'add', 1);
});

df.app.orchestration('SignalsEntity', function* (context) {
  context.df.signalEntity(new df.EntityId('counter', 'visits'), 'add', 1);
  return yield context.df.callActivity('skipReport');
});

df.app.orchestration('CallsHttp', function* (context) {
  return yield context.df.callHttp({ method: 'GET', url: 'https://example.com/api/status' });
});

/** Supported, for contrast: an activity with a durableClient input starts another instance. */
df.app.activity('startAnother', {
  extraInputs: [df.input.durableClient()],
  handler: async (name, context) => df.getClient(context).startNew(name),
});

df.app.orchestration('StartsAnother', function* (context) {
  return yield context.df.callActivity('startAnother', 'SkipReport');
});

app.http('start', {
  methods: ['POST'],
  route: 'start/{name}',
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const client = df.getClient(context);
    const instanceId = await client.startNew(request.params.name);
    return client.createCheckStatusResponse(request, instanceId);
  },
});

app.http('signalFromClient', {
  methods: ['POST'],
  extraInputs: [df.input.durableClient()],
  handler: async (_request, context) => {
    await df.getClient(context).signalEntity(new df.EntityId('counter', 'visits'), 'add', 1);
    return { status: 202 };
  },
});

/** An HTTP function that writes a queue message: the host answers 500, as a failed write does. */
app.http('enqueue', {
  methods: ['POST'],
  extraOutputs: [output.storageQueue({ queueName: 'outbox', connection: 'AzureWebJobsStorage' })],
  handler: async (request, context) => {
    context.extraOutputs.set(context.options.extraOutputs[0], await request.text());
    return { status: 202 };
  },
});
