// An entry point that throws while it loads (a missing setting, a bad import...).
const { app } = require('@azure/functions');

app.http('broken', { methods: ['GET'], handler: async () => ({ body: 'never' }) });
throw new Error('REPORT_CONTAINER is not set');
