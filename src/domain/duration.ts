/**
 * ISO 8601 durations (`P7D`, `PT30S`, `P1DT12H`) to milliseconds. Years and months are refused:
 * their length depends on the calendar, and a deadline must be exact.
 */
export function parseIsoDuration(text: string): number | undefined {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim().toUpperCase());
  if (!m || text.trim().toUpperCase() === 'P' || /T$/.test(text.trim().toUpperCase())) return undefined;
  const [, w, d, h, min, s] = m;
  const num = (v: string | undefined) => (v ? Number(v) : 0);
  return ((num(w) * 7 + num(d)) * 24 * 3600 + num(h) * 3600 + num(min) * 60 + num(s)) * 1000;
}
