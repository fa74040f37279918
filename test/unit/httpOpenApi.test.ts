import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, test } from 'vitest';
import { REQUEST_STATUSES } from '../../src/domain/request.js';
import { HTTP_STATUS_BY_CODE } from '../../src/http/errors.js';
import { openApiDocument } from '../../src/http/openApi.js';

type Operation = { responses: Record<string, { content?: Record<string, unknown> }>; security?: unknown[] };
const document = openApiDocument() as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head'];
const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => METHODS.includes(method))
    .map(([method, operation]) => ({ path, method, operation })),
);

describe('the OpenAPI document', () => {
  test('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  test('describes every route of DESIGN §4 that exists or is being built', () => {
    expect(operations.map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort()).toEqual(
      [
        'GET /api/openapi.json',
        'GET /api/requests/new',
        'GET /api/requests/received',
        'POST /api/requests',
        'GET /api/confirmations/{token}',
        'POST /api/confirmations/{token}',
        'GET /api/track/{token}',
        'POST /api/track/{token}',
        'GET /api/reports/{token}',
        'POST /api/reports/{token}',
        'GET /api/approvals/{token}',
        'POST /api/approvals/{token}',
        'GET /api/admin/requests',
        'GET /api/admin/requests/export',
        'GET /api/admin/requests/{id}',
        'POST /api/admin/requests/{id}/cancel',
        'POST /api/admin/requests/{id}/resend',
        'POST /api/admin/requests/{id}/reassign',
        'POST /api/admin/requests/{id}/retry',
        'POST /api/admin/guests/{guestId}/release-lock',
        'GET /api/admin/',
        'GET /api/admin/console/requests/{id}',
        'GET /api/admin/console/requests/{id}/{action}',
        'POST /api/admin/console/requests/{id}/{action}',
        'GET /api/admin/console/export',
      ].sort(),
    );
  });

  test('every operation documents a success, a 500, and the admin ones 401 and 403 with a bearer scheme, or the console ones with the sign-in session', () => {
    for (const { path, method, operation } of operations) {
      const statuses = Object.keys(operation.responses);
      expect(statuses.some((s) => s.startsWith('2') || s.startsWith('3')), `${method} ${path}`).toBe(true);
      if (path !== '/api/openapi.json') expect(statuses, `${method} ${path}`).toContain('500');
      if (path.startsWith('/api/admin/')) {
        expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['401', '403']));
        const isConsole = path === '/api/admin/' || path.startsWith('/api/admin/console/');
        expect(operation.security).toEqual([isConsole ? { consoleSession: [] } : { adminBearer: [] }]);
      }
    }
  });

  test('takes its enumerations from the domain and the error table', () => {
    const view = document.components.schemas.AdminRequest as { properties: { status: { enum: string[] } } };
    expect(view.properties.status.enum).toEqual([...REQUEST_STATUSES]);
    const error = document.components.schemas.Error as { properties: { error: { properties: { code: { enum: string[] } } } } };
    expect(error.properties.error.properties.code.enum).toEqual(Object.keys(HTTP_STATUS_BY_CODE));
  });
});
