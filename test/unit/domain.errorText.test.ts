import { describe, expect, test } from 'vitest';
import { INTERNAL_ERROR_CODE, internalErrorMessage, logAndStoreError, storedErrorOf, storedErrorText } from '../../src/domain/errorText.js';
import { GraphRequestError } from '../../src/graph/graphGateway.js';

/** What stored text must never hold (issue 8 part 6). */
const LEAKS = /\bat |\/work\/|\/home\/|node_modules|\.js:|\.ts:|C:\\/;

function thrownWithStack(): Error {
  const error = new TypeError("Cannot read properties of undefined (reading 'guestId') at /home/site/wwwroot/dist/src/activities/executeReset.js:42:17");
  error.stack = [
    `TypeError: ${error.message}`,
    '    at executeReset (/home/site/wwwroot/dist/src/activities/executeReset.js:42:17)',
    '    at async /home/site/wwwroot/node_modules/durable-functions/lib/src/app.js:50:3',
    '    at async C:\\agent\\work\\app\\dist\\index.js:1:1',
  ].join('\n');
  return error;
}

describe('storedErrorOf', () => {
  test('an Error with a stack of server paths becomes the generic text with the reference', () => {
    const stored = storedErrorOf(thrownWithStack(), 'ref-1');
    expect(stored).toEqual({ code: INTERNAL_ERROR_CODE, message: 'Internal error (reference ref-1). The details are in the application logs under this reference.' });
    expect(JSON.stringify(stored)).not.toMatch(LEAKS);
  });

  test.each([
    ['a string', 'ENOENT: no such file or directory, open /work/main/local.settings.json'],
    ['an object', { stack: 'Error\n    at x (/work/main/dist/x.js:1:1)' }],
    ['undefined', undefined],
    ['a durable-functions activity failure', new Error("Activity function 'executeReset' failed: boom \n Error: boom\n    at run (/work/main/dist/src/x.js:3:9)")],
  ])('anything else thrown (%s) is replaced too', (_, thrown) => {
    const stored = storedErrorOf(thrown, 'ref-2');
    expect(stored).toEqual({ code: INTERNAL_ERROR_CODE, message: internalErrorMessage('ref-2') });
  });

  test("a Graph refusal keeps Graph's code, message and request-id", () => {
    const graph = new GraphRequestError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.', 'f1d2-req', false);
    graph.stack = 'GraphRequestError: Insufficient privileges\n    at toGraphRequestError (/work/main/dist/src/graph/graphErrorMapping.js:20:12)';
    expect(storedErrorOf(graph, 'unused')).toEqual({ code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.', requestId: 'f1d2-req' });
  });

  test('a Graph error whose text is not Graph-shaped (a dump, a path, a page) is treated as internal', () => {
    for (const message of ['Error: boom\n    at x (/work/main/dist/x.js:1:1)', 'failed at /home/site/wwwroot/dist/src/graph/msGraphGateway.js:120:7', 'x'.repeat(501)]) {
      expect(storedErrorOf(new GraphRequestError(500, 'InternalServerError', message, 'r', false), 'ref-3').code).toBe(INTERNAL_ERROR_CODE);
    }
  });
});

describe('logAndStoreError', () => {
  test('logs the full error under a fresh reference and stores only that reference', () => {
    const logged: [string, unknown][] = [];
    const error = thrownWithStack();
    const stored = logAndStoreError(error, (message, detail) => logged.push([message, detail]));
    const reference = /reference ([0-9a-f-]{36})\)/.exec(stored.message)?.[1];
    expect(reference).toBeDefined();
    expect(logged).toEqual([[`Internal error, reference ${reference}`, error]]);
    expect(storedErrorText(stored)).not.toMatch(LEAKS);
  });

  test("a Graph refusal needs no reference: nothing is logged and Graph's words are kept", () => {
    const logged: unknown[] = [];
    const stored = logAndStoreError(new GraphRequestError(404, 'Request_ResourceNotFound', 'Resource does not exist.', 'r-9', false), (m) => logged.push(m));
    expect(logged).toEqual([]);
    expect(storedErrorText(stored)).toBe('Request_ResourceNotFound: Resource does not exist. (request-id r-9)');
  });
});
