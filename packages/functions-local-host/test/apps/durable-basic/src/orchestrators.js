// Orchestrators of the durable sample app: one per engine behaviour under test.
const fs = require('node:fs');
const df = require('durable-functions');

df.app.orchestration('Chain', function* (context) {
  const first = yield context.df.callActivity('Hello', 'Tokyo');
  context.df.setCustomStatus({ step: 1 });
  const second = yield context.df.callActivity('Hello', 'Seattle');
  const third = yield context.df.callActivity('Hello', 'London');
  context.df.setCustomStatus({ step: 3 });
  return [first, second, third];
});

df.app.orchestration('FanOut', function* (context) {
  const names = context.df.getInput();
  return yield context.df.Task.all(names.map((name) => context.df.callActivity('Hello', name)));
});

df.app.orchestration('Retry', function* (context) {
  const { key, failures, attempts } = context.df.getInput();
  const result = yield context.df.callActivityWithRetry('Flaky', new df.RetryOptions(50, attempts), { key, failures });
  const after = yield context.df.callActivity('Hello', 'after');
  return [result, after];
});

/** The approval pattern: an event races a durable timer; the losing timer is canceled. */
df.app.orchestration('Approval', function* (context) {
  const { timeoutSeconds } = context.df.getInput();
  const deadline = new Date(context.df.currentUtcDateTime.getTime() + timeoutSeconds * 1000);
  const timer = context.df.createTimer(deadline);
  const decision = context.df.waitForExternalEvent('Approve');
  const winner = yield context.df.Task.any([decision, timer]);
  if (winner === decision) {
    timer.cancel();
    return { approved: decision.result };
  }
  return { approved: null, timedOut: true };
});

/** Waits for `Go` only after an activity; an event raised earlier must still be seen. */
df.app.orchestration('EventAfterActivity', function* (context) {
  const { gateFile } = context.df.getInput();
  yield context.df.callActivity('WaitForFile', gateFile);
  const first = yield context.df.waitForExternalEvent('Go');
  const second = yield context.df.waitForExternalEvent('Go');
  return [first, second];
});

df.app.orchestration('Counter', function* (context) {
  const count = context.df.getInput();
  if (count < 3) {
    yield context.df.callActivity('Hello', String(count));
    context.df.continueAsNew(count + 1);
    return undefined;
  }
  return count;
});

/**
 * Continues as new while its first activity (task 0) still runs; the new execution's own task 0
 * waits for another file. The first activity's late result must not answer it.
 */
df.app.orchestration('ContinuesPastActivity', function* (context) {
  const { file, gateFile, nextGateFile, continued } = context.df.getInput();
  if (continued) {
    context.df.setCustomStatus('continued');
    return yield context.df.callActivity('WaitForFile', nextGateFile);
  }
  const slow = context.df.callActivity('RecordAroundGate', { file, gateFile });
  yield context.df.Task.any([slow, context.df.createTimer(context.df.currentUtcDateTime)]);
  context.df.continueAsNew({ file, gateFile, nextGateFile, continued: true });
  return undefined;
});

df.app.orchestration('Parent', function* (context) {
  const child = yield context.df.callSubOrchestrator('Child', context.df.getInput());
  try {
    yield context.df.callSubOrchestrator('FailingChild', null);
  } catch (error) {
    return { child, childError: error.message };
  }
  return { child };
});

df.app.orchestration('Child', function* (context) {
  return yield context.df.callActivity('Hello', `child ${context.df.getInput()}`);
});

df.app.orchestration('FailingChild', function* () {
  throw new Error('child broke');
});

df.app.orchestration('Fails', function* (context) {
  yield context.df.callActivity('Hello', 'before failing');
  throw new Error('boom');
});

df.app.orchestration('ActivityFails', function* (context) {
  return yield context.df.callActivity('Broken');
});

/** Records a line, waits (for an event or a timer), records another: used across a host kill. */
df.app.orchestration('Durable', function* (context) {
  const { file, waitFor, seconds } = context.df.getInput();
  yield context.df.callActivity('Record', { file, line: 'before' });
  // Persisted with the activity's result: tells a test the result is safely stored.
  context.df.setCustomStatus('waiting');
  let waited;
  if (waitFor === 'timer') {
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + seconds * 1000));
    waited = 'timer';
  } else {
    waited = yield context.df.waitForExternalEvent('Go');
  }
  yield context.df.callActivity('Record', { file, line: 'after' });
  return waited;
});

/** Waits forever (until terminated or suspended/resumed and sent `Go`). */
df.app.orchestration('Waiter', function* (context) {
  return yield context.df.waitForExternalEvent('Go');
});

df.app.orchestration('Parallel', function* (context) {
  const peaks = yield context.df.Task.all(Array.from({ length: 8 }, () => context.df.callActivity('Concurrent')));
  return Math.max(...peaks);
});

/** A sub-orchestration retried after its first attempt fails (each attempt is a new child). */
df.app.orchestration('ParentRetry', function* (context) {
  return yield context.df.callSubOrchestratorWithRetry('FlakyChild', new df.RetryOptions(50, 3), context.df.getInput());
});

df.app.orchestration('FlakyChild', function* (context) {
  return yield context.df.callActivity('Flaky', context.df.getInput());
});

// Calls an activity no function provides.
df.app.orchestration('CallsMissing', function* (context) {
  return yield context.df.callActivity('DoesNotExist', 1);
});

/** Fails in its second activity until the file exists (rewind). */
df.app.orchestration('Rewindable', function* (context) {
  const first = yield context.df.callActivity('Hello', 'before');
  const second = yield context.df.callActivity('FailsUntilFile', context.df.getInput());
  const third = yield context.df.callActivity('Hello', 'after');
  return [first, second, third];
});

/** Fails because its sub-orchestration fails until the file exists (rewind of both). */
df.app.orchestration('RewindableParent', function* (context) {
  const child = yield context.df.callSubOrchestrator('Rewindable', context.df.getInput());
  return { child };
});

/** `count` chained activities, then an event: what one orchestration costs in Table operations. */
df.app.orchestration('ChainThenEvent', function* (context) {
  const results = [];
  for (let i = 0; i < context.df.getInput(); i++) results.push(yield context.df.callActivity('Hello', String(i)));
  context.df.setCustomStatus('waiting');
  results.push(yield context.df.waitForExternalEvent('Go'));
  return results;
});

df.app.orchestration('StoppedInActivity', function* (context) {
  return yield context.df.callActivity('RecordAroundGate', context.df.getInput());
});

/**
 * Records a line, then blocks the whole host (a synchronous wait in the episode that takes the
 * result) until `gateFile` exists, after writing `blockedFile`: a test kills the host in there,
 * after the activity finished and before its result was committed.
 */
df.app.orchestration('BlocksAfterActivity', function* (context) {
  const { file, gateFile, blockedFile } = context.df.getInput();
  const line = yield context.df.callActivity('Record', { file, line: 'ran' });
  if (!fs.existsSync(gateFile)) {
    fs.writeFileSync(blockedFile, '');
    while (!fs.existsSync(gateFile)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return line;
});
