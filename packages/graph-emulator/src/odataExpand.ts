import { GraphHttpError } from './graphHttp.js';

/**
 * `$expand` as Graph takes it on directory objects: one relationship, optionally with its own
 * `$select` (`memberOf($select=id,displayName)`). Graph expands a single relationship per request
 * (query-parameters "expand"), so a list of two is refused rather than half answered.
 */

export interface ExpandOption {
  /** The relationship's name as `expandable` spells it. */
  name: string;
  /** The nested `$select`, when given. */
  select?: string;
}

export function parseExpand(value: string | undefined, expandable: readonly string[], typeName: string): ExpandOption | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const match = /^\s*([A-Za-z]+)\s*(?:\((.*)\))?\s*$/.exec(value);
  if (!match || topLevelCommas(value)) {
    throw new GraphHttpError(400, 'Request_BadRequest', 'Only one relationship can be expanded in a single request.');
  }
  const name = expandable.find((n) => n.toLowerCase() === match[1]!.toLowerCase());
  if (!name) throw new GraphHttpError(400, 'Request_BadRequest', `Could not find a property named '${match[1]}' on type '${typeName}'.`);
  let select: string | undefined;
  for (const option of (match[2] ?? '').split(';').map((o) => o.trim()).filter(Boolean)) {
    const [key, ...rest] = option.split('=');
    if (key?.trim().toLowerCase() !== '$select') throw new GraphHttpError(400, 'Request_UnsupportedQuery', `The query option '${key?.trim()}' is not supported inside $expand.`);
    select = rest.join('=');
  }
  return { name, ...(select === undefined ? {} : { select }) };
}

/** Whether the value names more than one relationship (a comma outside parentheses). */
function topLevelCommas(value: string): boolean {
  let depth = 0;
  for (const char of value) {
    if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === ',' && depth === 0) return true;
  }
  return false;
}
