/**
 * ASP.NET Core route templates as the Functions host uses them for HTTP triggers:
 * literal segments (case-insensitive), `{name}`, optional `{name?}`, defaults `{name=value}`,
 * constraints `{id:guid}`, `{n:int:min(1)}`, and catch-all `{*rest}` / `{**rest}`.
 */

export type RouteTemplateErrorCode = 'InvalidRouteTemplate' | 'UnknownRouteConstraint';

export class RouteTemplateError extends Error {
  constructor(
    readonly code: RouteTemplateErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RouteTemplateError';
  }
}

type Constraint = (value: string) => boolean;

interface RouteParameter {
  name: string;
  optional: boolean;
  catchAll: boolean;
  defaultValue?: string;
  constraints: Constraint[];
}

export interface CompiledRoute {
  readonly template: string;
  /** Route values of a path (percent-decoded), or undefined when the path does not match. */
  match(path: string): Record<string, string> | undefined;
  /** Lower sorts first: literal segments beat constrained parameters beat plain, optional and catch-all ones. */
  readonly precedence: number[];
}

const GUID = /^(?:\{)?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}(?:\})?$/i;
const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

function numberArgument(args: string[], index: number, constraint: string): number {
  const value = Number(args[index]);
  if (args[index] === undefined || Number.isNaN(value)) {
    throw new RouteTemplateError('InvalidRouteTemplate', `Constraint "${constraint}" needs a numeric argument.`);
  }
  return value;
}

/** The inline constraints of ASP.NET Core routing (`Microsoft.AspNetCore.Routing.Constraints`). */
function buildConstraint(name: string, args: string[], raw: string): Constraint {
  switch (name.toLowerCase()) {
    case 'int':
    case 'long':
      return (v) => INTEGER.test(v);
    case 'guid':
      return (v) => GUID.test(v);
    case 'alpha':
      return (v) => /^[a-z]+$/i.test(v);
    case 'bool':
      return (v) => /^(?:true|false)$/i.test(v);
    case 'datetime':
      return (v) => !Number.isNaN(Date.parse(v));
    case 'decimal':
    case 'double':
    case 'float':
      return (v) => NUMBER.test(v);
    case 'minlength': {
      const min = numberArgument(args, 0, raw);
      return (v) => v.length >= min;
    }
    case 'maxlength': {
      const max = numberArgument(args, 0, raw);
      return (v) => v.length <= max;
    }
    case 'length': {
      const min = numberArgument(args, 0, raw);
      const max = args.length > 1 ? numberArgument(args, 1, raw) : min;
      return (v) => v.length >= min && v.length <= max;
    }
    case 'min': {
      const min = numberArgument(args, 0, raw);
      return (v) => INTEGER.test(v) && Number(v) >= min;
    }
    case 'max': {
      const max = numberArgument(args, 0, raw);
      return (v) => INTEGER.test(v) && Number(v) <= max;
    }
    case 'range': {
      const min = numberArgument(args, 0, raw);
      const max = numberArgument(args, 1, raw);
      return (v) => INTEGER.test(v) && Number(v) >= min && Number(v) <= max;
    }
    case 'regex': {
      const pattern = new RegExp(args.join(','), 'i');
      return (v) => pattern.test(v);
    }
    default:
      throw new RouteTemplateError('UnknownRouteConstraint', `Unknown route constraint "${raw}".`);
  }
}

/** Splits `id:int:min(1)` on colons that are not inside a constraint's parentheses. */
function splitConstraints(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

function parseParameter(body: string): RouteParameter {
  let text = body;
  const catchAll = text.startsWith('*');
  text = text.replace(/^\*{1,2}/, '');
  const [nameAndDefault = '', ...constraintTexts] = splitConstraints(text);
  let name = nameAndDefault;
  let defaultValue: string | undefined;
  let optional = false;
  const lastConstraint = constraintTexts.at(-1);
  // `?` and `=default` may follow the last constraint: `{id:int?}`, `{n:int=5}`.
  const tailHolder = lastConstraint ?? name;
  const tail = /(\?|=[^()]*)$/.exec(tailHolder);
  if (tail) {
    const stripped = tailHolder.slice(0, tail.index);
    if (lastConstraint !== undefined) constraintTexts[constraintTexts.length - 1] = stripped;
    else name = stripped;
    if (tail[1] === '?') optional = true;
    else defaultValue = tail[1]!.slice(1);
  }
  if (!/^[A-Za-z_][\w]*$/.test(name)) {
    throw new RouteTemplateError('InvalidRouteTemplate', `Invalid route parameter name in "{${body}}".`);
  }
  const constraints = constraintTexts.map((raw) => {
    const call = /^([A-Za-z]+)(?:\((.*)\))?$/s.exec(raw);
    if (!call) throw new RouteTemplateError('UnknownRouteConstraint', `Unknown route constraint "${raw}".`);
    const args = call[2] === undefined ? [] : call[1]!.toLowerCase() === 'regex' ? [call[2]] : call[2].split(',').map((a) => a.trim());
    return buildConstraint(call[1]!, args, raw);
  });
  return { name, optional: optional || defaultValue !== undefined || catchAll, catchAll, defaultValue, constraints };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

type SegmentPart = { literal: string } | { parameter: string };

/** Splits a segment into literals and parameter bodies; `{{` and `}}` are escaped braces. */
function parseSegment(segment: string, template: string): SegmentPart[] {
  const parts: SegmentPart[] = [];
  let literal = '';
  let i = 0;
  const unbalanced = () => new RouteTemplateError('InvalidRouteTemplate', `Unbalanced braces in "${template}".`);
  while (i < segment.length) {
    const char = segment[i]!;
    if ((char === '{' || char === '}') && segment[i + 1] === char) {
      literal += char;
      i += 2;
    } else if (char === '}') {
      throw unbalanced();
    } else if (char === '{') {
      if (literal) parts.push({ literal });
      literal = '';
      let body = '';
      i++;
      for (;;) {
        if (i >= segment.length) throw unbalanced();
        const inner = segment[i]!;
        if ((inner === '{' || inner === '}') && segment[i + 1] === inner) {
          body += inner;
          i += 2;
        } else if (inner === '}') {
          i++;
          break;
        } else {
          body += inner;
          i++;
        }
      }
      parts.push({ parameter: body });
    } else {
      literal += char;
      i++;
    }
  }
  if (literal) parts.push({ literal });
  return parts;
}

/** Compiles a template such as `api/items/{id:guid}` (no leading slash needed). */
export function compileRouteTemplate(template: string): CompiledRoute {
  const segments = template.split('/').filter((segment) => segment.length > 0);
  const parameters: RouteParameter[] = [];
  const precedence: number[] = [];
  let source = '';
  segments.forEach((segment, index) => {
    const parts = parseSegment(segment, template);
    const [only] = parts;
    if (parts.length === 1 && only && 'parameter' in only) {
      const parameter = parseParameter(only.parameter);
      const group = `p${parameters.length}`;
      parameters.push(parameter);
      if (parameter.catchAll && index !== segments.length - 1) {
        throw new RouteTemplateError('InvalidRouteTemplate', `A catch-all parameter must be the last segment of "${template}".`);
      }
      const capture = parameter.catchAll ? `(?<${group}>.*)` : `(?<${group}>[^/]+)`;
      source += parameter.optional ? `(?:/${capture})?` : `/${capture}`;
      precedence.push(parameter.catchAll ? 5 : parameter.optional ? 4 : parameter.constraints.length > 0 ? 2 : 3);
      return;
    }
    // Literal segments and segments mixing literals and parameters, e.g. `{name}.{ext}`.
    source += '/';
    for (const part of parts) {
      if ('literal' in part) {
        source += escapeRegExp(part.literal);
      } else {
        source += `(?<p${parameters.length}>[^/]+?)`;
        parameters.push({ ...parseParameter(part.parameter), optional: false });
      }
    }
    precedence.push(parts.every((part) => 'literal' in part) ? 1 : 2);
  });
  const pattern = new RegExp(`^${source}/?$`, 'i');

  return {
    template,
    precedence,
    match(path: string): Record<string, string> | undefined {
      const normalized = path.startsWith('/') ? path : `/${path}`;
      const found = pattern.exec(normalized);
      if (!found) return undefined;
      const values: Record<string, string> = {};
      for (const [index, parameter] of parameters.entries()) {
        const raw = found.groups?.[`p${index}`];
        if (raw === undefined || raw === '') {
          if (parameter.defaultValue !== undefined) values[parameter.name] = parameter.defaultValue;
          continue;
        }
        let value: string;
        try {
          value = parameter.catchAll ? raw.split('/').map(decodeURIComponent).join('/') : decodeURIComponent(raw);
        } catch {
          return undefined;
        }
        if (!parameter.constraints.every((constraint) => constraint(value))) return undefined;
        values[parameter.name] = value;
      }
      return values;
    },
  };
}

/** Orders routes so the most specific template is tried first, as ASP.NET Core routing does. */
export function compareRoutePrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.max(a.precedence.length, b.precedence.length);
  for (let i = 0; i < length; i++) {
    const left = a.precedence[i] ?? 0;
    const right = b.precedence[i] ?? 0;
    if (left !== right) return left - right;
  }
  return 0;
}
