import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { LocalApp } from './localApp.js';

/**
 * Checks responses against the OpenAPI document the running app serves: the route, method and
 * status must be documented, the media type and documented headers present, and a JSON body
 * must match the schema (Ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses). `LocalApp.json` checks
 * every admin answer with it, and `adminCall` (for bodies and headers `json` cannot send) too, so
 * every admin test validates without asking.
 */

interface ResponseObject {
  headers?: Record<string, { schema?: object }>;
  content?: Record<string, { schema?: object }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, ResponseObject> }>>;
}

const DOCUMENT_ID = 'https://guest-email-change.invalid/openapi.json';
const checkers = new Map<string, Promise<ResponseChecker>>();

export interface CheckedResponse {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or the text when the body is not JSON. */
  body: unknown;
}

type ResponseChecker = (method: string, path: string, response: CheckedResponse) => void;

/** The checker for this app's document, fetched once per app. */
export function responseChecker(app: LocalApp): Promise<ResponseChecker> {
  let checker = checkers.get(app.url);
  if (!checker) {
    checker = app.json<OpenApiDocument>('GET', '/api/openapi.json').then((res) => {
      if (res.status !== 200) throw new Error(`GET /api/openapi.json: ${res.status}`);
      return checkerFor(res.body);
    });
    checkers.set(app.url, checker);
  }
  return checker;
}

function checkerFor(document: OpenApiDocument): ResponseChecker {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document, DOCUMENT_ID);
  // Literal segments first, as the routes are meant to resolve.
  const templates = Object.keys(document.paths)
    .map((template) => ({ template, pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`), parameters: (template.match(/\{/g) ?? []).length }))
    .sort((a, b) => a.parameters - b.parameters);

  return (method, path, response) => {
    const pathname = new URL(path, 'http://x').pathname;
    const where = `${method} ${pathname} → ${response.status}`;
    const template = templates.find((t) => t.pattern.test(pathname))?.template;
    if (!template) throw new Error(`${where}: no path of the OpenAPI document matches`);
    const operation = document.paths[template][method.toLowerCase()];
    if (!operation) throw new Error(`${where}: ${method} is not documented on ${template}`);
    const documented = operation.responses[String(response.status)] ?? operation.responses.default;
    if (!documented) throw new Error(`${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`);

    for (const name of Object.keys(documented.headers ?? {})) {
      if (response.headers.get(name) === null) throw new Error(`${where}: documented header ${name} missing`);
    }
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (!documented.content) return;
    if (!(mediaType in documented.content)) throw new Error(`${where}: Content-Type ${mediaType} is not one of ${Object.keys(documented.content).join(', ')}`);
    if (mediaType !== 'application/json') return;
    const pointer = ['paths', template, method.toLowerCase(), 'responses', operation.responses[String(response.status)] ? String(response.status) : 'default', 'content', mediaType, 'schema']
      .map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1'))
      .join('/');
    const validate = ajv.getSchema(`${DOCUMENT_ID}#/${pointer}`);
    if (!validate) throw new Error(`${where}: no schema at ${pointer}`);
    if (!validate(response.body)) throw new Error(`${where}: body does not match the OpenAPI schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(response.body).slice(0, 2000)}`);
  };
}

/** An admin API call with a token holding the admin role (or `token`), its response checked against the document. */
export async function adminCall<T = unknown>(
  app: LocalApp,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string>; token?: string | null } = {},
): Promise<{ status: number; headers: Headers; body: T; text: string }> {
  const token = options.token === undefined ? await app.adminToken() : options.token;
  const res = await fetch(app.url + path, {
    method,
    headers: {
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: keep the text */
  }
  (await responseChecker(app))(method, path, { status: res.status, headers: res.headers, body });
  return { status: res.status, headers: res.headers, body: body as T, text };
}
