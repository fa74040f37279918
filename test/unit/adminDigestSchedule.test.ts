import { describe, expect, test } from 'vitest';
import { nextDigestAt, utcDayOf } from '../../src/domain/adminDigestSchedule.js';

const DAY = 24 * 3600 * 1000;
const next = (now: string, time = '08:00', every = DAY) => nextDigestAt(new Date(now), time, every).toISOString();

describe('nextDigestAt', () => {
  test('the same day just before the time, the next day from the time on', () => {
    expect(next('2026-11-30T07:59:59.999Z')).toBe('2026-11-30T08:00:00.000Z');
    expect(next('2026-11-30T08:00:00.000Z')).toBe('2026-12-01T08:00:00.000Z');
    expect(next('2026-11-30T08:00:00.001Z')).toBe('2026-12-01T08:00:00.000Z');
  });

  test('across midnight, month and year ends in UTC', () => {
    expect(next('2026-11-30T23:59:59.999Z')).toBe('2026-12-01T08:00:00.000Z');
    expect(next('2026-12-31T09:00:00.000Z')).toBe('2027-01-01T08:00:00.000Z');
    expect(next('2026-12-01T00:00:00.000Z', '00:00')).toBe('2026-12-02T00:00:00.000Z');
    expect(next('2026-12-01T23:30:00.000Z', '23:59:30')).toBe('2026-12-01T23:59:30.000Z');
  });

  test('other periods keep to fixed instants: P7D on Mondays, PT12H twice a day, PT5S every five seconds', () => {
    const weekly = nextDigestAt(new Date('2026-11-30T08:00:00.000Z'), '08:00', 7 * DAY);
    expect(weekly.toISOString()).toBe('2026-12-07T08:00:00.000Z');
    expect(weekly.getUTCDay()).toBe(1);
    expect(next('2026-11-30T09:00:00.000Z', '08:00', DAY / 2)).toBe('2026-11-30T20:00:00.000Z');
    expect(next('2026-11-30T09:00:02.100Z', '08:00', 5000)).toBe('2026-11-30T09:00:05.000Z');
  });
});

describe('utcDayOf', () => {
  test('the UTC day, whatever the instant’s offset', () => {
    expect(utcDayOf('2026-11-30T23:59:59.999Z')).toBe('2026-11-30');
    expect(utcDayOf('2026-12-01T00:00:00.000Z')).toBe('2026-12-01');
    expect(utcDayOf('2026-12-01T00:30:00.000+01:00')).toBe('2026-11-30');
  });
});
