/**
 * CSV as RFC 4180 writes it (CRLF line ends, a field with a comma, quote, CR or LF in quotes,
 * quotes doubled), made safe to open in a spreadsheet: a cell that a spreadsheet would read as a
 * formula (starting with `=`, `+`, `-`, `@`, tab or CR, OWASP "CSV injection") gets a leading `'`,
 * so an address or reason typed by a requester can never run as a formula on an auditor's machine.
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export type CsvCell = string | number | null | undefined;

export function csvField(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(cells: readonly CsvCell[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}
