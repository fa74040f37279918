import { GraphClientError, GraphError } from '@microsoft/microsoft-graph-client';
import { describe, expect, test } from 'vitest';
import { toGraphRequestError } from '../../src/graph/graphErrorMapping.js';
import { GraphRequestError } from '../../src/graph/graphGateway.js';

function graphError(status: number, code: string | null, requestId: string | null, headers?: Headers): GraphError {
  const error = new GraphError(status, 'Graph said no');
  error.code = code;
  error.requestId = requestId;
  error.headers = headers;
  return error;
}

describe('toGraphRequestError', () => {
  test.each([
    [429, true],
    [500, true],
    [502, true],
    [503, true],
    [504, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [409, false],
  ])('status %i is transient: %s', (status, transient) => {
    expect(toGraphRequestError(graphError(status, 'Code', 'rid'))).toMatchObject({ status, code: 'Code', message: 'Graph said no', requestId: 'rid', transient });
  });

  test('the invitation 400 that can follow a fresh mail PATCH is transient; other 400s are final', () => {
    const notYet = new GraphError(400, 'The email you’re using to invite this user doesn’t match any emails on the user object. Please add this email to the user object and try again.');
    notYet.code = 'BadRequest';
    expect(toGraphRequestError(notYet)).toMatchObject({ status: 400, code: 'BadRequest', transient: true });
    const invalid = new GraphError(400, 'Invalid invitedUserEmailAddress');
    invalid.code = 'BadRequest';
    expect(toGraphRequestError(invalid)).toMatchObject({ status: 400, transient: false });
  });

  test('takes the request id from the header when the body had none, and names a missing code', () => {
    const mapped = toGraphRequestError(graphError(502, null, null, new Headers({ 'request-id': 'from-header' })));
    expect(mapped).toMatchObject({ status: 502, code: 'HttpStatus502', requestId: 'from-header' });
  });

  test('a failure without an HTTP answer is a transient NetworkError', () => {
    const noAnswer = new GraphError(-1, undefined, new TypeError('fetch failed'));
    expect(toGraphRequestError(noAnswer)).toMatchObject({ status: 0, code: 'NetworkError', transient: true });
    expect(toGraphRequestError(new TypeError('fetch failed'))).toMatchObject({ status: 0, code: 'NetworkError', transient: true });
  });

  test('a token failure is its own transient code', () => {
    const noToken = new Error('ManagedIdentityCredential: Network unreachable.');
    noToken.name = 'CredentialUnavailableError';
    const wrapped = new GraphError(-1, undefined, noToken);
    wrapped.code = noToken.name;
    expect(toGraphRequestError(wrapped)).toMatchObject({ status: 0, code: 'AuthenticationFailed', transient: true });
  });

  test('an SDK refusal is final, and a GraphRequestError passes through', () => {
    expect(toGraphRequestError(new GraphClientError('bad use'))).toMatchObject({ code: 'GraphClientError', transient: false });
    const original = new GraphRequestError(400, 'BadRequest', 'x', 'r', false);
    expect(toGraphRequestError(original)).toBe(original);
  });
});
