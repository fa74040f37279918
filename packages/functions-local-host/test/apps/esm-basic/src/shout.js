import { app } from '@azure/functions';

app.http('shout', {
  methods: ['POST'],
  handler: async (request) => ({ body: (await request.text()).toUpperCase() }),
});
