// Sample CommonJS v4 app with HTTP streaming on, for the local host's streaming tests.
const { app } = require('@azure/functions');

app.setup({ enableHttpStream: true });

/**
 * Opened by `release/{name}`: `gated` holds its last chunk and `brokenStream` its failure until
 * then, so a test sees the first chunk alone, whatever the timing.
 */
const gates = {};
function gate(name) {
  if (!gates[name]) {
    let open;
    gates[name] = { opened: new Promise((resolve) => (open = resolve)) };
    gates[name].open = open;
  }
  return gates[name];
}

app.http('upload', {
  methods: ['POST'],
  route: 'upload/{id}',
  handler: async (request) => {
    // Counts the request body chunk by chunk, never holding it whole.
    let bytes = 0;
    for await (const chunk of request.body) bytes += chunk.length;
    return {
      status: 201,
      headers: { 'x-upload-id': request.params.id, 'content-type': 'application/json' },
      cookies: [{ name: 'seen', value: request.query.get('tag') ?? '', httpOnly: true }],
      jsonBody: { bytes, url: request.url, custom: request.headers.get('x-custom'), forwardedFor: request.headers.get('x-forwarded-for') },
    };
  },
});

app.http('gated', {
  methods: ['GET', 'HEAD'],
  handler: async () => {
    const encoder = new TextEncoder();
    let step = 0;
    const body = new ReadableStream({
      async pull(controller) {
        step += 1;
        if (step === 1) return controller.enqueue(encoder.encode('first\n'));
        await gate('gated').opened;
        controller.enqueue(encoder.encode('last\n'));
        controller.close();
      },
    });
    return { status: 207, headers: { 'content-type': 'text/plain', 'x-gated': 'yes' }, body };
  },
});

app.http('release', {
  methods: ['POST'],
  route: 'release/{name}',
  handler: async (request) => {
    gate(request.params.name).open();
    return { status: 204 };
  },
});

app.http('boom', {
  methods: ['GET'],
  handler: async () => {
    throw new Error('boom before any byte');
  },
});

app.http('brokenStream', {
  methods: ['GET'],
  handler: async () => {
    let step = 0;
    const body = new ReadableStream({
      async pull(controller) {
        step += 1;
        if (step === 1) return controller.enqueue(new TextEncoder().encode('partial\n'));
        await gate('brokenStream').opened;
        controller.error(new Error('the source failed mid-stream'));
      },
    });
    return { body };
  },
});
