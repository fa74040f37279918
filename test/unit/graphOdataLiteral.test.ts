import { describe, expect, test } from 'vitest';
import { parseFilter } from '@guest-email-change/graph-emulator';
import { odataString } from '../../src/graph/msGraphGateway.js';

describe('the gateway OData literal', () => {
  test("doubles quotes and percent-encodes characters fetch would mangle", () => {
    expect(odataString("o'brien+x#y&z@fabrikam.com")).toBe("'o''brien%2Bx%23y%26z%40fabrikam.com'");
  });

  test('round-trips through decodeURIComponent and the parser', () => {
    const email = "o'brien+x#y&z@fabrikam.com";
    expect(parseFilter(decodeURIComponent(`mail eq ${odataString(email)}`))({ mail: email })).toBe(true);
  });
});
