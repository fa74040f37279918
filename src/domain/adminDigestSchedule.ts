/**
 * When the admins' digest goes out (ADMIN_DIGEST_TIME, ADMIN_DIGEST_EVERY). The digest times are
 * fixed instants, `ADMIN_DIGEST_TIME` on Monday 5 January 1970 UTC plus whole periods, so they do
 * not drift with when the loop started or restarted: with the defaults every day at 08:00 UTC, and
 * with `P7D` every Monday.
 */

const SCHEDULE_ORIGIN_MS = Date.UTC(1970, 0, 5);

/** `HH:MM` or `HH:MM:SS` (validated by the settings schema) as milliseconds after midnight. */
function timeOfDayMs(timeOfDay: string): number {
  const [hours, minutes, seconds = 0] = timeOfDay.split(':').map(Number);
  return ((hours * 60 + minutes) * 60 + seconds) * 1000;
}

/** The first digest time strictly after `now`. */
export function nextDigestAt(now: Date, timeOfDay: string, everyMs: number): Date {
  const origin = SCHEDULE_ORIGIN_MS + timeOfDayMs(timeOfDay);
  const periods = Math.floor((now.getTime() - origin) / everyMs) + 1;
  return new Date(origin + periods * everyMs);
}

/** The UTC day of an instant, `YYYY-MM-DD`: the partition an alert is recorded in. */
export function utcDayOf(at: string | Date): string {
  return (typeof at === 'string' ? new Date(at) : at).toISOString().slice(0, 10);
}
