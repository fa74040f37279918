import { describe, expect, test } from 'vitest';
import { compareRoutePrecedence, compileRouteTemplate, RouteTemplateError } from '../../src/http/routeTemplate.js';

describe('route templates', () => {
  test('matches literals case-insensitively and ignores a trailing slash', () => {
    const route = compileRouteTemplate('api/requests');
    expect(route.match('/API/Requests/')).toEqual({});
    expect(route.match('/api/requests/x')).toBeUndefined();
    expect(route.match('/api')).toBeUndefined();
  });

  test('captures and percent-decodes parameters', () => {
    expect(compileRouteTemplate('api/users/{name}').match('/api/users/Ann%20Lee')).toEqual({ name: 'Ann Lee' });
    expect(compileRouteTemplate('api/users/{name}').match('/api/users/')).toBeUndefined();
  });

  test('makes trailing optional parameters and defaults optional', () => {
    const optional = compileRouteTemplate('api/hello/{name?}');
    expect(optional.match('/api/hello')).toEqual({});
    expect(optional.match('/api/hello/Bo')).toEqual({ name: 'Bo' });
    expect(compileRouteTemplate('api/page/{n:int=1}').match('/api/page')).toEqual({ n: '1' });
    expect(compileRouteTemplate('api/page/{n:int?}').match('/api/page/x')).toBeUndefined();
  });

  test.each([
    ['{id:guid}', '0f8fad5b-d9cb-469f-a165-70867728950e', true],
    ['{id:guid}', 'not-a-guid', false],
    ['{n:int}', '-12', true],
    ['{n:int}', '1.5', false],
    ['{x:alpha}', 'abcXYZ', true],
    ['{x:alpha}', 'abc1', false],
    ['{b:bool}', 'TRUE', true],
    ['{d:double}', '2.5e3', true],
    ['{n:int:min(10)}', '9', false],
    ['{n:int:range(1,5)}', '5', true],
    ['{s:minlength(3)}', 'ab', false],
    ['{s:length(2,3)}', 'abc', true],
    ['{code:regex(^[a-z]{{2}}\\d$)}', 'ab1', true],
    ['{code:regex(^[a-z]{{2}}\\d$)}', 'abc', false],
  ])('%s with %s matches: %s', (segment, value, expected) => {
    expect(compileRouteTemplate(`api/${segment}`).match(`/api/${value}`) !== undefined).toBe(expected);
  });

  test('a catch-all takes the rest of the path, slashes included, or nothing', () => {
    const route = compileRouteTemplate('files/{*path}');
    expect(route.match('/files/a/b%2Fc/d.txt')).toEqual({ path: 'a/b/c/d.txt' });
    expect(route.match('/files')).toEqual({});
    expect(compileRouteTemplate('files/{**path}').match('/files/x/y')).toEqual({ path: 'x/y' });
  });

  test('matches segments mixing literals and parameters', () => {
    expect(compileRouteTemplate('img/{name}.{ext}').match('/img/logo.png')).toEqual({ name: 'logo', ext: 'png' });
  });

  test('an empty template matches only the root', () => {
    expect(compileRouteTemplate('').match('/')).toEqual({});
    expect(compileRouteTemplate('').match('/x')).toBeUndefined();
  });

  test('rejects unknown constraints and misplaced catch-alls with typed errors', () => {
    expect(() => compileRouteTemplate('api/{id:banana}')).toThrow(RouteTemplateError);
    expect(() => compileRouteTemplate('api/{*rest}/more')).toThrowError(expect.objectContaining({ code: 'InvalidRouteTemplate' }));
  });

  test('orders literal segments before parameters and catch-alls last', () => {
    const routes = ['api/{*rest}', 'api/{id}', 'api/{id:int}', 'api/special'].map(compileRouteTemplate);
    expect(routes.sort(compareRoutePrecedence).map((r) => r.template)).toEqual(['api/special', 'api/{id:int}', 'api/{id}', 'api/{*rest}']);
  });
});
