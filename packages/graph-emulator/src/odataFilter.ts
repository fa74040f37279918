import { GraphHttpError } from './graphHttp.js';

/**
 * The slice of OData `$filter` that the directory accepts without advanced query parameters and
 * that the app sends: `prop eq 'v'`, `collection/any(x:x eq 'v')`, joined by `and`/`or`, with
 * parentheses. String comparison is case-insensitive, as the directory's is. Anything else is
 * Graph's 400 `Request_UnsupportedQuery`, so an app that drifts to another query fails here first.
 */
export type FilterPredicate = (entity: Record<string, unknown>) => boolean;

type Token = { kind: 'word' | 'string' | 'punct'; text: string };

const SCALAR_PROPERTIES = new Set(['id', 'mail', 'userprincipalname', 'usertype', 'displayname', 'externaluserstate', 'creationtype', 'accountenabled']);
const COLLECTION_PROPERTIES = new Set(['othermails', 'proxyaddresses']);

function unsupported(detail: string): GraphHttpError {
  return new GraphHttpError(400, 'Request_UnsupportedQuery', `Unsupported Query. ${detail}`);
}

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const c = filter[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= filter.length) throw unsupported('Unterminated string literal.');
        if (filter[i] === "'") {
          if (filter[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += filter[i++];
      }
      tokens.push({ kind: 'string', text });
    } else if ('()/:,'.includes(c)) {
      tokens.push({ kind: 'punct', text: c });
      i++;
    } else {
      const match = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(filter.slice(i));
      if (!match) throw unsupported(`Unexpected character '${c}'.`);
      tokens.push({ kind: 'word', text: match[0] });
      i += match[0].length;
    }
  }
  return tokens;
}

function sameValue(actual: unknown, expected: string | boolean | null): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') return actual.toLowerCase() === expected.toLowerCase();
  return (actual ?? null) === expected;
}

function propertyValue(entity: Record<string, unknown>, lowerName: string): unknown {
  const key = Object.keys(entity).find((k) => k.toLowerCase() === lowerName);
  return key === undefined ? undefined : entity[key];
}

/** Parses a `$filter` value (already percent-decoded) into a predicate over Graph-shaped objects. */
export function parseFilter(filter: string): FilterPredicate {
  const tokens = tokenize(filter);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => {
    const token = tokens[pos++];
    if (!token) throw unsupported('Unexpected end of filter.');
    return token;
  };
  const expectPunct = (text: string) => {
    const token = next();
    if (token.kind !== 'punct' || token.text !== text) throw unsupported(`Expected '${text}'.`);
  };
  const isKeyword = (token: Token | undefined, word: string) => token?.kind === 'word' && token.text.toLowerCase() === word;

  const literal = (): string | boolean | null => {
    const token = next();
    if (token.kind === 'string') return token.text;
    if (isKeyword(token, 'true')) return true;
    if (isKeyword(token, 'false')) return false;
    if (isKeyword(token, 'null')) return null;
    throw unsupported(`Unsupported literal '${token.text}'.`);
  };

  const comparison = (): FilterPredicate => {
    const property = next();
    if (property.kind !== 'word') throw unsupported(`Unexpected '${property.text}'.`);
    const name = property.text.toLowerCase();
    if (peek()?.kind === 'punct' && peek()?.text === '/') {
      next();
      if (!COLLECTION_PROPERTIES.has(name)) throw unsupported(`Property '${property.text}' does not support lambda operators.`);
      if (!isKeyword(next(), 'any')) throw unsupported('Only the any() lambda operator is supported.');
      expectPunct('(');
      const variable = next();
      expectPunct(':');
      const subject = next();
      if (variable.kind !== 'word' || subject.text !== variable.text) throw unsupported('Invalid lambda expression.');
      if (!isKeyword(next(), 'eq')) throw unsupported('Only eq is supported inside any().');
      const value = literal();
      expectPunct(')');
      return (entity) => {
        const items = propertyValue(entity, name);
        return Array.isArray(items) && items.some((item) => sameValue(item, value));
      };
    }
    if (!SCALAR_PROPERTIES.has(name)) throw unsupported(`Filtering on property '${property.text}' is not supported.`);
    const operator = next();
    if (!isKeyword(operator, 'eq')) {
      throw unsupported(`Operator '${operator.text}' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header.`);
    }
    const value = literal();
    return (entity) => sameValue(propertyValue(entity, name), value);
  };

  const primary = (): FilterPredicate => {
    if (peek()?.kind === 'punct' && peek()?.text === '(') {
      next();
      const inner = orExpression();
      expectPunct(')');
      return inner;
    }
    return comparison();
  };

  const andExpression = (): FilterPredicate => {
    const parts = [primary()];
    while (isKeyword(peek(), 'and')) {
      next();
      parts.push(primary());
    }
    return parts.length === 1 ? parts[0] : (entity) => parts.every((p) => p(entity));
  };

  function orExpression(): FilterPredicate {
    const parts = [andExpression()];
    while (isKeyword(peek(), 'or')) {
      next();
      parts.push(andExpression());
    }
    return parts.length === 1 ? parts[0] : (entity) => parts.some((p) => p(entity));
  }

  const predicate = orExpression();
  if (pos !== tokens.length) throw unsupported(`Unexpected '${tokens[pos].text}'.`);
  return predicate;
}
