import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, expect, inject, test } from 'vitest';
import { freePort } from '@guest-email-change/functions-local-host';

/**
 * The app itself (not `npm start`, which refuses bad settings before it serves) on the local host
 * with a broken configuration, as in a Function App whose settings are incomplete: the worker
 * logs every problem at start, the form still answers, and what needs the settings fails cleanly.
 */

const repoRoot = path.resolve(__dirname, '../..');
let child: ChildProcess | undefined;
afterAll(() => {
  child?.kill('SIGKILL');
});

test('a bad configuration is logged at start naming every problem; the form answers and the rest fails with 500', async () => {
  const port = await freePort();
  // Only what a fresh Function App has: storage, and a form secret too short to be safe.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, AzureWebJobsStorage: inject('azuriteConnectionString'), APPROVAL_FORM_SECRET: 'short' };
  child = spawn(process.execPath, [path.join(repoRoot, 'packages/functions-local-host/dist/cli.js'), '--app', repoRoot, '--port', String(port), '--in-memory'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Host ready at /.test(output)) resolve();
    };
    child!.stdout!.on('data', onData);
    child!.stderr!.on('data', onData);
    child!.once('exit', (code) => reject(new Error(`host exited with ${code}:\n${output}`)));
  });

  expect(output).toContain('Invalid configuration');
  for (const problem of ['APPROVAL_FORM_SECRET must be at least 32 characters', 'PUBLIC_BASE_URL is required', 'TENANT_VERIFIED_DOMAINS', 'MAIL_SENDER is required']) {
    expect(output).toContain(problem);
  }
  const base = `http://localhost:${port}`;
  expect((await fetch(`${base}/api/requests/new`)).status).toBe(200);
  const submitted = await fetch(`${base}/api/requests`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ currentEmail: 'adele.vance@fabrikam.com', newEmail: 'adele@northwind.example', reason: 'MovedCompany' }),
  });
  expect(submitted.status).toBe(500);
  const body = (await submitted.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('InternalError');
  expect(body.error.message).not.toContain('short');
});
