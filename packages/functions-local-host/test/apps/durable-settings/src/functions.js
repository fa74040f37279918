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

const DAY_MS = 24 * 60 * 60 * 1000;

/** Waits `days` on one durable timer, then calls an activity (its id shows the timer's ids lined up). */
df.app.orchestration('LongTimer', function* (context) {
  const fireAt = new Date(context.df.currentUtcDateTime.getTime() + context.df.getInput().days * DAY_MS);
  yield context.df.createTimer(fireAt);
  const firedAt = context.df.currentUtcDateTime.toISOString();
  const after = yield context.df.callActivity('Hello', 'after');
  return { fireAt: fireAt.toISOString(), firedAt, after };
});

/** An event races a long timer; the timer is canceled when the event wins. */
df.app.orchestration('LongTimerOrEvent', function* (context) {
  const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + context.df.getInput().days * DAY_MS));
  const decision = context.df.waitForExternalEvent('Approve');
  const winner = yield context.df.Task.any([decision, timer]);
  if (winner === decision) {
    timer.cancel();
    return { approved: decision.result };
  }
  return { timedOut: true };
});
