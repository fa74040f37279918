// Function chaining: one activity called in sequence, directly, through a sub-orchestration, and
// with its result as the custom status.
const df = require('durable-functions');

const sayHello = 'sayHello';

df.app.orchestration('helloSequence', function* (context) {
  context.log('Starting chain sample');
  const greetings = [];
  for (const city of ['Tokyo', 'Seattle', 'Cairo']) {
    greetings.push(yield context.df.callActivity(sayHello, city));
  }
  return greetings;
});

df.app.orchestration('sayHelloWithActivity', function* (context) {
  return yield context.df.callActivity(sayHello, context.df.getInput());
});

df.app.orchestration('sayHelloWithSubOrchestrator', function* (context) {
  return yield context.df.callSubOrchestrator('sayHelloWithActivity', context.df.getInput());
});

df.app.orchestration('sayHelloWithCustomStatus', function* (context) {
  const greeting = yield context.df.callActivity(sayHello, context.df.getInput());
  context.df.setCustomStatus(greeting);
  return greeting;
});

df.app.activity(sayHello, {
  handler: (name) => `Hello ${name}`,
});
