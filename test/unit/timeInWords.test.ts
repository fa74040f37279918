import { describe, expect, test } from 'vitest';
import { distanceInWords, timeInWords, timeWithDistance, utcDateTime } from '../../src/templates/timeInWords.js';

const NOW = new Date('2026-11-30T14:00:00.000Z');
const after = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

test('the moment in UTC with the weekday, day, month and year', () => {
  expect(utcDateTime(new Date('2026-12-03T14:00:00Z'))).toBe('Thursday 3 December 2026 14:00 UTC');
  expect(utcDateTime(new Date('2027-01-01T00:05:59Z'))).toBe('Friday 1 January 2027 00:05 UTC');
});

describe('distanceInWords rounds to the nearest unit at each boundary', () => {
  test.each([
    [0, 'less than a minute'],
    [29_999, 'less than a minute'],
    [30_000, '1 minute'],
    [MINUTE, '1 minute'],
    [2 * MINUTE, '2 minutes'],
    [59 * MINUTE + 29_999, '59 minutes'],
    [59 * MINUTE + 30_000, '1 hour'],
    [90 * MINUTE - 1, '1 hour'],
    [90 * MINUTE, '2 hours'],
    [DAY, '24 hours'],
    [47 * HOUR + 29 * MINUTE, '47 hours'],
    [47 * HOUR + 30 * MINUTE, '2 days'],
    [3 * DAY - 5_000, '3 days'],
    [3 * DAY + 11 * HOUR, '3 days'],
    [3 * DAY + 12 * HOUR, '4 days'],
    [30 * DAY, '30 days'],
  ])('%d ms: %s', (ms, words) => {
    expect(distanceInWords(ms)).toBe(words);
  });
});

describe('timeInWords, for sentences', () => {
  test('the future: how far first, then when', () => {
    expect(timeInWords('2026-12-03T14:00:00Z', NOW)).toBe('in 3 days, on Thursday 3 December 2026 14:00 UTC');
    expect(timeInWords(after(10 * MINUTE), NOW)).toBe('in 10 minutes, on Monday 30 November 2026 14:10 UTC');
    expect(timeInWords(after(5 * HOUR), NOW)).toBe('in 5 hours, on Monday 30 November 2026 19:00 UTC');
  });

  test('now counts as the future', () => {
    expect(timeInWords(NOW.toISOString(), NOW)).toBe('in less than a minute, on Monday 30 November 2026 14:00 UTC');
  });

  test('the past: when, then how long ago', () => {
    expect(timeInWords(after(-2 * HOUR), NOW)).toBe('on Monday 30 November 2026 12:00 UTC (2 hours ago)');
    expect(timeInWords(after(-1_000), NOW)).toBe('on Monday 30 November 2026 13:59 UTC (less than a minute ago)');
    expect(timeInWords(after(-7 * DAY), NOW)).toBe('on Monday 23 November 2026 14:00 UTC (7 days ago)');
  });

  test('unparseable input is shown as it is', () => {
    expect(timeInWords('soon', NOW)).toBe('soon');
  });
});

test('timeWithDistance, for labelled values', () => {
  expect(timeWithDistance('2026-12-03T14:00:00Z', NOW)).toBe('Thursday 3 December 2026 14:00 UTC (in 3 days)');
  expect(timeWithDistance(after(-MINUTE), NOW)).toBe('Monday 30 November 2026 13:59 UTC (1 minute ago)');
  expect(timeWithDistance('', NOW)).toBe('');
});
