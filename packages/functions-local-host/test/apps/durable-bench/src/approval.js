// The benchmark workload: three chained activities, then an approval event (test/bench/host.bench.ts).
const df = require('durable-functions');

df.app.orchestration('BenchApproval', function* (context) {
  const request = yield context.df.callActivity('ValidateRequest', context.df.getInput());
  const approver = yield context.df.callActivity('ResolveApprover', request);
  yield context.df.callActivity('SendApprovalRequest', { instanceId: context.df.instanceId, approver });
  const decision = yield context.df.waitForExternalEvent('Approve');
  return { request, approver, decision };
});

df.app.activity('ValidateRequest', { handler: (input) => ({ ...input, valid: true }) });

df.app.activity('ResolveApprover', { handler: (request) => `approver-of-${request.user}` });

/** Stands in for the approval mail: tells the benchmark (same process) whom to approve. */
df.app.activity('SendApprovalRequest', {
  handler: ({ instanceId }) => {
    globalThis.onApprovalRequested?.(instanceId);
    return 'sent';
  },
});
