// Sample CommonJS v4 app for the local host tests: one function per HTTP behaviour under test.
const { app, trigger } = require('@azure/functions');

app.http('hello', {
  methods: ['GET'],
  route: 'hello/{name?}',
  handler: async (request) => ({ body: `Hello, ${request.params.name ?? request.query.get('name') ?? 'world'}!` }),
});

app.http('echo', {
  methods: ['POST', 'PUT'],
  route: 'echo/{id:int}/{*rest}',
  handler: async (request) => {
    const bytes = Buffer.from(await request.arrayBuffer());
    return {
      status: 201,
      headers: { 'x-echo-method': request.method, 'content-type': 'application/json' },
      jsonBody: {
        method: request.method,
        params: request.params,
        query: Object.fromEntries(request.query.entries()),
        contentType: request.headers.get('content-type'),
        custom: request.headers.get('x-custom'),
        forwardedFor: request.headers.get('x-forwarded-for'),
        clientIp: request.headers.get('client-ip'),
        bodyBase64: bytes.toString('base64'),
        url: request.url,
      },
    };
  },
});

app.http('json', {
  methods: ['POST'],
  handler: async (request) => ({ jsonBody: { received: await request.json() } }),
});

app.http('form', {
  methods: ['POST'],
  handler: async (request) => {
    const form = await request.formData();
    return { jsonBody: { name: form.get('name'), colors: form.getAll('color') } };
  },
});

app.http('items', {
  methods: ['GET'],
  route: 'items/{id:guid}',
  handler: async (request) => ({ jsonBody: { id: request.params.id } }),
});

app.http('cookies', {
  methods: ['GET'],
  handler: async (request) => ({
    status: 302,
    headers: { location: '/api/hello', 'x-seen-cookie': request.headers.get('cookie') ?? '' },
    cookies: [
      { name: 'session', value: 'abc', httpOnly: true, secure: true, sameSite: 'Strict', path: '/' },
      { name: 'theme', value: 'dark', maxAge: 60 },
    ],
  }),
});

app.http('nothing', { methods: ['POST'], handler: async () => undefined });

app.http('secret', { methods: ['GET'], authLevel: 'function', handler: async () => ({ body: 'function-level secret' }) });

app.http('adminOnly', { methods: ['GET'], authLevel: 'admin', route: 'admin/only', handler: async () => ({ body: 'admin secret' }) });

app.http('explode', {
  methods: ['GET'],
  handler: async () => {
    throw new Error('database password is hunter2');
  },
});

app.http('hooked', {
  methods: ['GET'],
  handler: async (request, context) => ({ jsonBody: { input: request.params.changed ?? null, hookData: context.extraInputs.get('fromHook') ?? null } }),
});

app.generic('double', {
  trigger: trigger.generic({ type: 'sampleTrigger' }),
  handler: async (value) => value * 2,
});

app.http('setting', {
  methods: ['GET'],
  route: 'settings/{name}',
  handler: async (request) => ({ jsonBody: { value: process.env[request.params.name] ?? null } }),
});
