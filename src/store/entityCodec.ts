import { StoreError } from './storeError.js';

/**
 * Turns domain records into Table entity properties and back, within Table Storage's limits:
 * strings are stored as they are, anything else as JSON text in a column named `<field>Json`
 * (readable in Storage Explorer), and text over the 64 KiB property limit is split across
 * `<column>__part2`, `<column>__part3`, ... columns.
 */

/** 64 KiB per string property is 32 Ki UTF-16 code units; stay a little under. */
const MAX_PROPERTY_CHARS = 32_000;
/** Under the 1 MiB entity limit, leaving room for keys and system properties. */
const MAX_ENTITY_BYTES = 1_000_000;
const JSON_SUFFIX = 'Json';
const PART = /^(.+)__part(\d+)$/;
const SYSTEM_PROPERTIES = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp']);

export type EntityColumns = Record<string, string>;

export function toColumns(record: object): EntityColumns {
  const columns: EntityColumns = {};
  let bytes = 0;
  for (const [field, value] of Object.entries(record)) {
    if (value === undefined) continue;
    const [column, text] = typeof value === 'string' ? [field, value] : [`${field}${JSON_SUFFIX}`, JSON.stringify(value)];
    for (let part = 0; part * MAX_PROPERTY_CHARS < Math.max(text.length, 1); part++) {
      const name = part === 0 ? column : `${column}__part${part + 1}`;
      const chunk = text.slice(part * MAX_PROPERTY_CHARS, (part + 1) * MAX_PROPERTY_CHARS);
      columns[name] = chunk;
      bytes += 2 * (name.length + chunk.length) + 8;
    }
  }
  if (bytes > MAX_ENTITY_BYTES) throw new StoreError('EntityTooLarge', `Entity of about ${bytes} bytes is over the Table Storage limit`);
  return columns;
}

/** The inverse of `toColumns`; system properties and the names in `skip` are left out. */
export function fromColumns(entity: Record<string, unknown>, skip: readonly string[] = []): Record<string, unknown> {
  const texts = new Map<string, string[]>();
  for (const [name, value] of Object.entries(entity)) {
    if (SYSTEM_PROPERTIES.has(name) || name.startsWith('odata.') || skip.includes(name) || typeof value !== 'string') continue;
    const match = PART.exec(name);
    const column = match ? match[1] : name;
    const parts = texts.get(column) ?? [];
    parts[match ? Number(match[2]) - 1 : 0] = value;
    texts.set(column, parts);
  }
  const record: Record<string, unknown> = {};
  for (const [column, parts] of texts) {
    const text = parts.join('');
    if (column.endsWith(JSON_SUFFIX)) record[column.slice(0, -JSON_SUFFIX.length)] = JSON.parse(text) as unknown;
    else record[column] = text;
  }
  return record;
}

/**
 * Makes any string usable inside a PartitionKey or RowKey, which may not contain `/ \ # ?` or
 * control characters. Percent-encoding keeps it readable and keeps distinct values distinct.
 */
export function keySafe(value: string): string {
  let key = '';
  for (const c of value) {
    const code = c.charCodeAt(0);
    const forbidden = '%/\\#?'.includes(c) || code < 0x20 || (code >= 0x7f && code <= 0x9f);
    key += forbidden ? `%${code.toString(16).padStart(2, '0').toUpperCase()}` : c;
  }
  return key;
}
