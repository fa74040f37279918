import { expect, test } from 'vitest';
import { parseIsoDuration } from '../../src/domain/duration.js';

test.each([
  ['P7D', 7 * 86_400_000],
  ['PT30S', 30_000],
  ['P1DT12H', 36 * 3_600_000],
  ['PT1.5S', 1500],
  ['P1W', 7 * 86_400_000],
  ['pt2m', 120_000],
])('%s is %i ms', (text, ms) => expect(parseIsoDuration(text)).toBe(ms));

test.each(['', 'P', 'PT', '7D', 'P1M', 'P1Y', 'PT-5S', 'P1DT'])('%j is refused', (text) => expect(parseIsoDuration(text)).toBeUndefined());
