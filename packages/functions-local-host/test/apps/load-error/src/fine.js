// Loads fine; the app still must not start, because another entry point fails.
const { app } = require('@azure/functions');

app.http('fine', { methods: ['GET'], handler: async () => ({ body: 'fine' }) });
