// Fan-out/fan-in: the titles of four Microsoft Learn articles fetched in parallel, returned
// joined by "; " in the order of the list. LEARN_BASE_URL (default https://learn.microsoft.com)
// lets a test serve the pages offline.
const { app } = require('@azure/functions');
const df = require('durable-functions');

const fetchTitle = 'fetchTitle';
const articles = [
  '/azure/azure-functions/durable/durable-functions-overview',
  '/azure/azure-functions/durable/durable-task-scheduler/durable-task-scheduler',
  '/azure/azure-functions/functions-scenarios',
  '/azure/azure-functions/functions-create-ai-enabled-apps',
];

df.app.orchestration('fetchOrchestration', function* (context) {
  context.log('Fetching data.');
  const base = process.env.LEARN_BASE_URL ?? 'https://learn.microsoft.com';
  const titles = yield context.df.Task.all(articles.map((article) => context.df.callActivity(fetchTitle, base + article)));
  return titles.join('; ');
});

df.app.activity(fetchTitle, {
  handler: async (url, context) => {
    context.log(`Fetching from url ${url}.`);
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP error! status: ${response.status}`);
      const title = /<title[^>]*>([^<]+?)\s*\|\s*Microsoft Learn<\/title>/i.exec(await response.text());
      return title ? title[1].trim() : 'No title found';
    } catch (error) {
      return `Error fetching from ${url}: ${error.message}`;
    }
  },
});

app.http('FetchOrchestration_HttpStart', {
  route: 'FetchOrchestration_HttpStart',
  methods: ['GET', 'POST'],
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: async (request, context) => {
    const client = df.getClient(context);
    const instanceId = await client.startNew('fetchOrchestration');
    context.log(`Started orchestration with ID = '${instanceId}'.`);
    return client.createCheckStatusResponse(request, instanceId);
  },
});
