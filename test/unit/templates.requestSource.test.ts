import { describe, expect, test } from 'vitest';
import { describeDevice, describeRequestSource } from '../../src/templates/requestSource.js';

/** Real User-Agent strings, as browsers sent them. */
const REAL: [string, string][] = [
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36', 'Chrome 120 on Windows'],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91', 'Microsoft Edge 120 on Windows'],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15', 'Safari 17 on macOS'],
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1', 'Safari 17 on iOS'],
  ['Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0', 'Firefox 121 on Linux'],
  ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36', 'Chrome 120 on Android'],
];

describe('describeDevice', () => {
  test.each(REAL)('%s → %s', (userAgent, expected) => {
    expect(describeDevice(userAgent)).toBe(expected);
  });

  test.each([
    ['missing', undefined, 'Unknown browser and system'],
    ['empty', '', 'Unknown browser and system'],
    ['blank', '   ', 'Unknown browser and system'],
    ['a tool', 'curl/8.4.0', 'Unknown browser and system'],
    ['a bare system hint', 'Mozilla/5.0 (iPhone)', 'Unknown browser on iOS'],
  ])('%s User-Agent reads as unknown', (_, userAgent, expected) => {
    expect(describeDevice(userAgent)).toBe(expected);
  });

  test('never echoes what the requester wrote: the parser names unknown agents after their text, those names are refused', () => {
    expect(describeDevice('Approved by Contoso IT/1 (call 555 0100')).toBe('Unknown browser and system');
    expect(describeDevice('IT Helpdesk verified/2 (Windows NT 10.0)')).toBe('Unknown browser on Windows');
    expect(describeDevice('Chrome/120.<b>9 (x')).toBe('Chrome 120 on an unknown system');
  });

  test('only the major version is shown, whatever digits follow', () => {
    expect(describeDevice('Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.1234567 Safari/537.36')).toBe('Chrome 120 on Windows');
  });
});

describe('describeRequestSource', () => {
  test('the device and the address', () => {
    expect(describeRequestSource({ ip: '203.0.113.7', userAgent: REAL[0]![0] })).toBe('Chrome 120 on Windows, IP address 203.0.113.7');
    expect(describeRequestSource({ ip: '2001:db8::1' })).toBe('Unknown browser and system, IP address 2001:db8::1');
  });

  test('nothing known, or an address that is not an IP, reads as unknown', () => {
    expect(describeRequestSource(undefined)).toBe('Unknown browser and system, unknown IP address');
    expect(describeRequestSource({})).toBe('Unknown browser and system, unknown IP address');
    expect(describeRequestSource({ ip: 'approved-by-it' })).toBe('Unknown browser and system, unknown IP address');
  });
});
