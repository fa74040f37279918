// Fan-out/fan-in: the titles of four Microsoft Learn articles fetched in parallel, returned
// joined by "; " in the order of the list. LEARN_BASE_URL (default https://learn.microsoft.com)
// lets a test serve the pages offline.
import { app, HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { ActivityHandler, OrchestrationContext, OrchestrationHandler } from 'durable-functions';

const fetchTitleActivityName = 'fetchTitleAsync';
const articles = [
  '/azure/azure-functions/durable/durable-functions-overview',
  '/azure/azure-functions/durable/durable-task-scheduler/durable-task-scheduler',
  '/azure/azure-functions/functions-scenarios',
  '/azure/azure-functions/functions-create-ai-enabled-apps',
];

const fetchOrchestration: OrchestrationHandler = function* (context: OrchestrationContext) {
  context.log('Fetching data.');
  const base = process.env.LEARN_BASE_URL ?? 'https://learn.microsoft.com';
  const titles: string[] = yield context.df.Task.all(articles.map((article) => context.df.callActivity(fetchTitleActivityName, base + article)));
  return titles.join('; ');
};
df.app.orchestration('fetchOrchestration', fetchOrchestration);

const fetchTitleAsync: ActivityHandler = async (url: string, context: InvocationContext): Promise<string> => {
  context.log(`Fetching from url ${url}.`);
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP error! status: ${response.status}`);
    const title = /<title[^>]*>([^<]+?)\s*\|\s*Microsoft Learn<\/title>/i.exec(await response.text());
    return title ? title[1].trim() : 'No title found';
  } catch (error) {
    return `Error fetching from ${url}: ${error instanceof Error ? error.message : String(error)}`;
  }
};
df.app.activity(fetchTitleActivityName, { handler: fetchTitleAsync });

const httpStart = async (request: HttpRequest, context: InvocationContext): Promise<HttpResponse> => {
  const client = df.getClient(context);
  const instanceId = await client.startNew(request.params.orchestratorName);
  context.log(`Started orchestration with ID = '${instanceId}'.`);
  return client.createCheckStatusResponse(request, instanceId);
};

app.http('httpStart', {
  route: 'orchestrators/{orchestratorName}',
  authLevel: 'anonymous',
  extraInputs: [df.input.durableClient()],
  handler: httpStart,
});
