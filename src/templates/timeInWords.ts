/**
 * Times as mails and pages show them: the exact moment in UTC, readable in any country without
 * locale data, plus how far it is from the moment the reader is told (`now`, the mail's send
 * time), so nobody has to work out their own offset from UTC to know how long a link still works.
 */

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** `Thursday 3 December 2026 14:00 UTC`. */
export function utcDateTime(date: Date): string {
  const hh = String(date.getUTCHours()).padStart(2, '0');
  const mm = String(date.getUTCMinutes()).padStart(2, '0');
  return `${DAYS[date.getUTCDay()]} ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${hh}:${mm} UTC`;
}

const plural = (n: number, unit: string): string => `${n} ${unit}${n === 1 ? '' : 's'}`;

/**
 * The distance in the largest unit that still reads precisely, rounded to the nearest one (a
 * deadline computed a few seconds before the mail is sent still reads "3 days"): minutes below an
 * hour, hours below two days (a day and a half is not "1 day"), then days.
 */
export function distanceInWords(ms: number): string {
  const minutes = Math.round(ms / MINUTE);
  if (minutes < 1) return 'less than a minute';
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.round(ms / HOUR);
  if (hours < 48) return plural(hours, 'hour');
  return plural(Math.round(ms / DAY), 'day');
}

function parse(iso: string): Date | undefined {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * For a sentence: `in 3 days, on Thursday 3 December 2026 14:00 UTC` or
 * `on Thursday 3 December 2026 14:00 UTC (2 hours ago)`. Unparseable input is shown as it is.
 */
export function timeInWords(iso: string, now: Date): string {
  const date = parse(iso);
  if (!date) return iso;
  const ms = date.getTime() - now.getTime();
  return ms >= 0 ? `in ${distanceInWords(ms)}, on ${utcDateTime(date)}` : `on ${utcDateTime(date)} (${distanceInWords(-ms)} ago)`;
}

/**
 * For a labelled value: `Thursday 3 December 2026 14:00 UTC (in 3 days)` or
 * `Thursday 3 December 2026 14:00 UTC (2 hours ago)`. Unparseable input is shown as it is.
 */
export function timeWithDistance(iso: string, now: Date): string {
  const date = parse(iso);
  if (!date) return iso;
  const ms = date.getTime() - now.getTime();
  return `${utcDateTime(date)} (${ms >= 0 ? `in ${distanceInWords(ms)}` : `${distanceInWords(-ms)} ago`})`;
}
