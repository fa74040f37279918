// Hooks of the sample app: appStart records that it ran; preInvocation swaps the input and the
// handler of "hooked"; postInvocation rewrites the result of "double".
const { app } = require('@azure/functions');

let appStartResult = 'app-start-not-run';

app.hook.appStart((context) => {
  context.hookData.startedAt = Date.now();
  appStartResult = 'app-start-ran';
});

app.hook.preInvocation((context) => {
  if (context.invocationContext.functionName === 'hooked') {
    const [request] = context.inputs;
    const original = context.functionHandler;
    context.hookData.swapped = true;
    context.functionHandler = (req, invocationContext) => {
      invocationContext.extraInputs.set('fromHook', appStartResult);
      return original(req, invocationContext);
    };
    context.inputs = [{ params: { changed: `changed-${request.method}` } }];
  }
});

app.hook.postInvocation((context) => {
  if (context.invocationContext.functionName === 'double') {
    context.result = context.result + 1;
  }
});
