import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TimeSkippingClock } from '../../src/durable/clock.js';
import { buildApp, installAppDependencies } from '../support/installAppDependencies.js';
import { startTestHost, type TestHost } from '../support/startTestHost.js';

/**
 * Conformance (issue 9, part 6): test apps that follow public Durable Functions samples, on the
 * library versions of the samples' own lock files, run on the host and checked against what the
 * samples document, through the links the check-status payload hands out, as a user would. Each
 * test app's README names the sample it follows (repository, path, commit) and what differs.
 */

const apps = path.join(__dirname, '../apps');

interface CheckStatusPayload {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  purgeHistoryDeleteUri: string;
}

interface Status {
  name: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  historyEvents?: { EventType: string }[];
}

async function started(response: Response): Promise<CheckStatusPayload> {
  expect(response.status).toBe(202);
  const payload = (await response.json()) as CheckStatusPayload;
  expect(response.headers.get('location')).toBe(payload.statusQueryGetUri);
  return payload;
}

async function status(statusQueryGetUri: string, query = ''): Promise<Status> {
  return (await (await fetch(statusQueryGetUri + query)).json()) as Status;
}

/** Polls the status link until the instance has finished, as a client of the sample would. */
async function finished(payload: CheckStatusPayload): Promise<Status> {
  for (;;) {
    const current = await status(payload.statusQueryGetUri);
    if (!['Pending', 'Running'].includes(current.runtimeStatus)) return current;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The host's lines about what it does not run; these samples should produce none but those named. */
const notSupportedLines = (host: TestHost) => host.logs.filter((entry) => /not supported/i.test(entry.message)).map((entry) => entry.message);

describe('samples-js (Azure/azure-functions-durable-js): chaining, sub-orchestration, custom status, human interaction, fan-out', () => {
  const appDir = path.join(apps, 'durable-samples-js');
  const clock = new TimeSkippingClock();
  let host: TestHost;
  const start = async (orchestration: string, input: unknown) =>
    started(await fetch(`${host.url}/api/orchestrators/${orchestration}`, { method: 'POST', body: JSON.stringify(input) }));

  beforeAll(async () => {
    installAppDependencies(appDir);
    host = await startTestHost(appDir, { clock });
  });

  afterAll(async () => {
    await host?.stop();
  });

  test('loads every function; the only line about what the host does not run is the blob output of copyFileToBlob', () => {
    expect(host.invoker.functions().map((fn) => fn.name).sort()).toEqual(
      [
        'backupSiteContent',
        'copyFileToBlob',
        'getFileList',
        'helloSequence',
        'httpStart',
        'httpSyncStart',
        'sayHello',
        'sayHelloWithActivity',
        'sayHelloWithCustomStatus',
        'sayHelloWithSubOrchestrator',
        'sendSmsChallenge',
        'smsPhoneVerification',
      ].sort(),
    );
    const lines = notSupportedLines(host);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Function 'copyFileToBlob': output binding '\w+' \(blob, path 'backups\/\{backupPath\}'\) is not supported by the local host/);
  });

  test('helloSequence returns the three greetings in order', async () => {
    const payload = await start('helloSequence', null);
    const result = await finished(payload);
    expect(result).toMatchObject({ name: 'helloSequence', runtimeStatus: 'Completed', output: ['Hello Tokyo', 'Hello Seattle', 'Hello Cairo'] });
  });

  test('a sub-orchestration returns its greeting, and the custom status carries the greeting', async () => {
    expect(await finished(await start('sayHelloWithSubOrchestrator', 'Ada'))).toMatchObject({ runtimeStatus: 'Completed', input: 'Ada', output: 'Hello Ada' });
    expect(await finished(await start('sayHelloWithCustomStatus', 'Bo'))).toMatchObject({ runtimeStatus: 'Completed', customStatus: 'Hello Bo', output: 'Hello Bo' });
  });

  test('httpSyncStart holds the request and answers 200 with the output', async () => {
    const response = await fetch(`${host.url}/api/orchestrators/wait/helloSequence?timeout=20&retryInterval=0.1`, { method: 'POST', body: 'null' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(['Hello Tokyo', 'Hello Seattle', 'Hello Cairo']);
  });

  describe('smsPhoneVerification: the code comes back as the SmsChallengeResponse event before the 90-second timer', () => {
    /** The code the activity "sent" to this number, read from its log line as a developer reads it locally. */
    const challengeCode = (phone: string) =>
      until(() => {
        const line = host.logs.find((entry) => entry.message.includes(`Sending verification code`) && entry.message.endsWith(` to ${phone}.`));
        return line ? Number(/verification code (\d+)/.exec(line.message)![1]) : undefined;
      });
    const answer = (payload: CheckStatusPayload, code: number) =>
      fetch(payload.sendEventPostUri.replace('{eventName}', 'SmsChallengeResponse'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(code) });

    test('a wrong code and then the right one: true, and the timer is cancelled', async () => {
      const phone = '+14255550101';
      const payload = await start('smsPhoneVerification', phone);
      const code = await challengeCode(phone);
      expect((await answer(payload, (code + 1) % 10000)).status).toBe(202);
      expect((await answer(payload, code)).status).toBe(202);
      expect(await finished(payload)).toMatchObject({ runtimeStatus: 'Completed', output: true });
    });

    test('four wrong codes use up the tries: false', async () => {
      const phone = '+14255550102';
      const payload = await start('smsPhoneVerification', phone);
      const code = await challengeCode(phone);
      for (let attempt = 1; attempt <= 4; attempt++) await answer(payload, (code + attempt) % 10000);
      expect(await finished(payload)).toMatchObject({ runtimeStatus: 'Completed', output: false });
    });

    test('no answer within 90 seconds: the timer wins, false', async () => {
      const phone = '+14255550103';
      const payload = await start('smsPhoneVerification', phone);
      await challengeCode(phone);
      // The deadline is set when the orchestration schedules its timer; skip only once it has.
      await until(async () => ((await status(payload.statusQueryGetUri, '&showHistory=true')).historyEvents ?? []).find((event) => event.EventType === 'TimerCreated'));
      clock.skip(91_000);
      expect(await finished(payload)).toMatchObject({ runtimeStatus: 'Completed', output: false });
    });
  });

  test('backupSiteContent fails naming the blob output it cannot write, instead of completing without the backup', async () => {
    const site = fs.mkdtempSync(path.join(os.tmpdir(), 'site-'));
    fs.writeFileSync(path.join(site, 'index.html'), '<h1>hi</h1>');
    try {
      const result = await finished(await start('backupSiteContent', site));
      expect(result.runtimeStatus).toBe('Failed');
      expect(String(result.output)).toMatch(
        /^Orchestrator function 'backupSiteContent' failed: Activity function 'copyFileToBlob' failed: Function 'copyFileToBlob': output binding '\w+' \(blob, path 'backups\/\{backupPath\}'\) is not supported by the local host; it did not write the value the function set\./,
      );
    } finally {
      fs.rmSync(site, { recursive: true, force: true });
    }
  });
});

/** Serves the four Microsoft Learn articles the quickstarts fetch, so their fan-in is checked offline. */
const learnTitles: Record<string, string> = {
  '/azure/azure-functions/durable/durable-functions-overview': 'What are Durable Functions?',
  '/azure/azure-functions/durable/durable-task-scheduler/durable-task-scheduler': 'Durable Task Scheduler',
  '/azure/azure-functions/functions-scenarios': 'Azure Functions scenarios',
  '/azure/azure-functions/functions-create-ai-enabled-apps': 'AI apps with Azure Functions',
};
const expectedTitles = Object.values(learnTitles).join('; ');
let learn: http.Server;
let learnBaseUrl: string;

beforeAll(async () => {
  learn = http.createServer((request, response) => {
    const title = learnTitles[request.url ?? ''];
    response.writeHead(title ? 200 : 404, { 'content-type': 'text/html' });
    response.end(title ? `<html><head><title>${title} | Microsoft Learn</title></head></html>` : '');
  });
  await new Promise<void>((resolve) => learn.listen(0, '127.0.0.1', resolve));
  learnBaseUrl = `http://127.0.0.1:${(learn.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => learn.close(resolve));
});

/** What every azd Durable quickstart run shows: it asks for the Durable Task Scheduler, which the host replaces with Azure Storage. */
const quickstartWarnings = (host: TestHost) => host.logs.filter((entry) => entry.level === 'warn').map((entry) => entry.message);

describe('the azd Durable quickstart in JavaScript (Azure-Samples/durable-functions-quickstart-javascript-azd)', () => {
  const appDir = path.join(apps, 'durable-quickstart-js-azd');
  let host: TestHost;

  beforeAll(async () => {
    installAppDependencies(appDir);
    // Its README's local.settings.json: AzureWebJobsStorage only (no TASKHUB_NAME).
    delete process.env.TASKHUB_NAME;
    host = await startTestHost(appDir, { env: { LEARN_BASE_URL: learnBaseUrl } });
  });

  afterAll(async () => {
    await host?.stop();
  });

  test('GET /api/FetchOrchestration_HttpStart (the README\'s browser call) answers the check-status payload the README shows', async () => {
    const payload = await started(await fetch(`${host.url}/api/FetchOrchestration_HttpStart`));
    const statusLink = new URL(payload.statusQueryGetUri);
    expect(statusLink.pathname).toBe(`/runtime/webhooks/durabletask/instances/${payload.id}`);
    expect([statusLink.searchParams.get('taskHub'), statusLink.searchParams.get('connection')]).toEqual(['TestHubName', 'Storage']);
    expect(payload.sendEventPostUri).toContain(`/instances/${payload.id}/raiseEvent/{eventName}?taskHub=TestHubName&connection=Storage`);
    expect(payload.terminatePostUri).toContain(`/instances/${payload.id}/terminate?reason={text}&taskHub=TestHubName&connection=Storage`);

    expect(await finished(payload)).toMatchObject({ name: 'fetchOrchestration', runtimeStatus: 'Completed', output: expectedTitles });
  });

  test('says it runs the scheduler backend on Azure Storage and the default hub; nothing about unsupported features', () => {
    const warnings = quickstartWarnings(host);
    expect(warnings.some((line) => line.includes("storage provider 'azureManaged'"))).toBe(true);
    expect(warnings.some((line) => line.includes("app setting 'TASKHUB_NAME', which is not set"))).toBe(true);
    expect(notSupportedLines(host)).toEqual([]);
    expect(host.logs.filter((entry) => entry.level === 'error')).toEqual([]);
  });
});

describe('the azd Durable quickstart in TypeScript (Azure-Samples/durable-functions-quickstart-typescript-azd), built by its own `npm run build`', () => {
  const appDir = path.join(apps, 'durable-quickstart-ts-azd');
  let host: TestHost;

  beforeAll(async () => {
    installAppDependencies(appDir);
    buildApp(appDir);
    // Its README's local.settings.json (from local.settings.json.sample).
    host = await startTestHost(appDir, {
      env: { TASKHUB_NAME: 'default', DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=http://localhost:8080;Authentication=None', LEARN_BASE_URL: learnBaseUrl },
    });
  });

  afterAll(async () => {
    await host?.stop();
    delete process.env.TASKHUB_NAME;
  });

  test('curl -i http://localhost:7071/api/orchestrators/fetchOrchestration (the README\'s call) starts it; it returns the titles in order', async () => {
    const payload = await started(await fetch(`${host.url}/api/orchestrators/fetchOrchestration`));
    expect(payload.statusQueryGetUri).toContain('taskHub=default&connection=Storage');
    expect(await finished(payload)).toMatchObject({ name: 'fetchOrchestration', runtimeStatus: 'Completed', output: expectedTitles });
  });

  test('says it runs the scheduler backend on Azure Storage; nothing about unsupported features', () => {
    expect(quickstartWarnings(host).some((line) => line.includes("storage provider 'azureManaged'"))).toBe(true);
    expect(notSupportedLines(host)).toEqual([]);
    expect(host.logs.filter((entry) => entry.level === 'error')).toEqual([]);
  });
});
